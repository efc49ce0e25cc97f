using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Onnx;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary><c>dflare inspect MODEL.onnx [--json]</c>: inputs/outputs, opsets, operators and weighted layers.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The ONNX model to inspect." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var cmd = new Command("inspect", "Inputs and outputs with shapes, opsets, operator histogram and the weighted layers (weight shapes, parameters, bit-width, zero fraction).")
        {
            model, json,
        };
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var report = ModelInspector.Inspect(r.GetValue(model)!);
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return CommandRunner.Ok;
            }
            var console = AnsiConsole.Console;
            if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 200); // no wrapping in files
            Print(console, report);
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static string Num(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void Print(IAnsiConsole console, ModelReport r)
    {
        console.MarkupLine($"[bold]{Markup.Escape(r.Path)}[/]" + (r.FileBytes is { } b ? $"  {Num(b)} bytes" : ""));
        console.MarkupLine($"IR version {r.IrVersion}, producer {Markup.Escape(r.Producer.Length > 0 ? r.Producer : "?")}, " +
            $"opsets {Markup.Escape(string.Join(", ", r.Opsets.Select(o => $"{o.Domain} {o.Version}")))}");
        var io = new Table().AddColumn("").AddColumn("name").AddColumn("type").AddColumn("shape");
        foreach (var i in r.Inputs) io.AddRow("input", Markup.Escape(i.Name), i.ElementType, Markup.Escape(Shape(i)));
        foreach (var o in r.Outputs) io.AddRow("output", Markup.Escape(o.Name), o.ElementType, Markup.Escape(Shape(o)));
        console.Write(io);
        console.MarkupLine($"{r.Nodes} nodes: " + Markup.Escape(string.Join(", ", r.Operators.Select(o => $"{o.Operator} {o.Count}"))));
        console.MarkupLine($"{r.Initializers} initializers, {Num(r.InitializerValues)} values");
        var t = new Table().AddColumn("#").AddColumn("layer").AddColumn("op").AddColumn("weight").AddColumn("type")
            .AddColumn(new TableColumn("params").RightAligned()).AddColumn(new TableColumn("bits").RightAligned())
            .AddColumn(new TableColumn("zeros").RightAligned()).AddColumn("output");
        int k = 0;
        foreach (var l in r.Layers)
            t.AddRow((k++).ToString(CultureInfo.InvariantCulture), Markup.Escape(l.Name), Markup.Escape(l.OpType), Markup.Escape(OnnxTensors.FormatShape(l.WeightShape)),
                Markup.Escape($"{l.WeightType} ({l.Storage})"), Num(l.Parameters), l.Bits?.ToString(CultureInfo.InvariantCulture) ?? "-",
                l.ZeroFraction is { } z ? $"{z * 100:F1} %" : "-", Markup.Escape(l.OutputTensor));
        console.Write(t);
        console.MarkupLine($"[bold]{r.Layers.Count}[/] weighted layers ({Markup.Escape(string.Join(", ", r.LayerCounts.Select(c => $"{c.Value} {c.Key}")))}), " +
            $"{Num(r.LayerParameters)} parameters, weights {Markup.Escape(r.WeightFormat)}");
    }

    private static string Shape(TensorSignature s) => s.Shape is null ? "?" : "[" + string.Join(",", s.Shape) + "]";

    internal static JsonObject ToJson(ModelReport r) => new()
    {
        ["path"] = r.Path,
        ["fileBytes"] = r.FileBytes,
        ["irVersion"] = r.IrVersion,
        ["producer"] = r.Producer,
        ["opsets"] = new JsonArray(r.Opsets.Select(o => (JsonNode)new JsonObject { ["domain"] = o.Domain, ["version"] = o.Version }).ToArray()),
        ["inputs"] = Signatures(r.Inputs),
        ["outputs"] = Signatures(r.Outputs),
        ["nodes"] = r.Nodes,
        ["operators"] = new JsonObject(r.Operators.Select(o => KeyValuePair.Create(o.Operator, (JsonNode?)JsonValue.Create(o.Count)))),
        ["initializers"] = r.Initializers,
        ["initializerValues"] = r.InitializerValues,
        ["weightFormat"] = r.WeightFormat,
        ["layerParameters"] = r.LayerParameters,
        ["layerCounts"] = new JsonObject(r.LayerCounts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)JsonValue.Create(c.Value)))),
        ["layers"] = new JsonArray(r.Layers.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name,
            ["op"] = l.OpType,
            ["output"] = l.OutputTensor,
            ["weight"] = l.WeightSource,
            ["storage"] = l.Storage.ToString(),
            ["weightType"] = l.WeightType,
            ["weightShape"] = new JsonArray(l.WeightShape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["parameters"] = l.Parameters,
            ["quantized"] = l.Quantized,
            ["bits"] = l.Bits,
            ["zeroFraction"] = l.ZeroFraction is { } z ? Math.Round(z, 6) : null,
        }).ToArray()),
    };

    private static JsonArray Signatures(IEnumerable<TensorSignature> list) => new(list.Select(s => (JsonNode)new JsonObject
    {
        ["name"] = s.Name,
        ["type"] = s.ElementType,
        ["shape"] = s.Shape is null ? null : new JsonArray(s.Shape.Select(d =>
            long.TryParse(d, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? (JsonNode)JsonValue.Create(v) : JsonValue.Create(d)).ToArray()),
    }).ToArray());
}
