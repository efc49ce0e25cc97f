using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dflare.Benchmarks.Harness;

/// <summary>The machine and its load when a figure was measured.</summary>
internal sealed record MachineInfo(string DateUtc, int Cores, string LoadAverage, string Os, string Runtime, string OnnxRuntime, string Cpu)
{
    public static MachineInfo Now() => new(
        DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        Environment.ProcessorCount,
        LoadAverageNow(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString() ?? "?",
        CpuName());

    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg (empty elsewhere).</summary>
    public static string LoadAverageNow()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static string CpuName()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { return "?"; }
    }

    public string Line(string loadAtEnd) => $"{DateUtc}; {Cores} cores ({Cpu}); load averages (1/5/15 min) at start {LoadAverage}, at end {loadAtEnd}; {Runtime}; ONNX Runtime {OnnxRuntime}";
}

/// <summary>Writes a figure as <c>NAME.json</c> and <c>NAME.md</c> into the results folder (each atomically).</summary>
internal static class Output
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static void Write(string directory, string name, object data, string markdown)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(data, data.GetType(), Json) + "\n");
        AtomicFile.WriteAllText(Path.Combine(directory, name + ".md"), markdown.TrimEnd() + "\n");
        Console.WriteLine($"wrote {Path.Combine(directory, name)}.json and .md");
    }

    /// <summary>Reads back a JSON array property of a previous results file (for merging partial runs), or null.</summary>
    public static JsonArray? ReadArray(string directory, string name, string property)
    {
        var path = Path.Combine(directory, name + ".json");
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path))?[property]?.AsArray(); }
        catch (JsonException e) { SetAside(directory, name, e.Message); return null; }
    }

    /// <summary>
    /// Keeps a previous results file that cannot be merged (unreadable, or of an older format) as <c>NAME.json.old</c>
    /// and says so, instead of letting the new results overwrite its entries unseen.
    /// </summary>
    public static void SetAside(string directory, string name, string why)
    {
        var path = Path.Combine(directory, name + ".json");
        var old = path + ".old";
        File.Copy(path, old, overwrite: true);
        Console.Error.WriteLine($"warning: the previous {path} cannot be merged ({why}); it is kept as {old} and its entries are not carried over.");
    }

    public static string F(double? v, int digits = 1) => v is { } x && double.IsFinite(x) ? x.ToString("N" + digits, CultureInfo.InvariantCulture) : "–";
    public static string Pct(double? v, int digits = 1) => v is { } x && double.IsFinite(x) ? (100 * x).ToString("N" + digits, CultureInfo.InvariantCulture) + " %" : "–";

    /// <summary>A Markdown table.</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? align = null)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
        sb.Append('|');
        for (int i = 0; i < header.Count; i++) sb.Append(align is not null && i < align.Length && align[i] == 'l' ? "---|" : "---:|");
        sb.AppendLine();
        foreach (var r in rows) sb.Append("| ").AppendJoin(" | ", r).AppendLine(" |");
        return sb.ToString();
    }
}

/// <summary>Small statistics helpers.</summary>
internal static class Stats
{
    public static double? Median(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (v.Length == 0) return null;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static double? Mean(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        return v.Length == 0 ? null : v.Average();
    }
}
