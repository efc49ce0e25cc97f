using System.CommandLine;
using Dflare.Localization;
using Dflare.Repair;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare export-triggers DIR --original A.onnx --compressed B.onnx --results RESULTS</c>: writes the deviating inputs
/// of a search as a labelled image folder (class subfolders and labels.csv, labels from the original model).
/// </summary>
internal static class ExportTriggersCommand
{
    public static Command Create()
    {
        var common = new LocalizeCommand.PairAndResults();
        var dir = new Argument<string>("DIR") { Description = "The folder to write (created; existing files of the same name are replaced)." };
        var cmd = new Command("export-triggers", "Write the deviating inputs of a search as a labelled image folder (class subfolders + labels.csv, labels from the original) for a team's own trainer.");
        cmd.Arguments.Add(dir);
        common.AddTo(cmd);
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var (pair, _, _, _, _, set) = common.Load(r);
            var export = TriggerExport.Write(set, r.GetValue(dir)!, set.Folder.Seeds.Count == 0 ? null : ClassNames(set));
            Console.Out.WriteLine($"dflare export-triggers: {export.Count} deviating input(s) of {pair} written to {export.Directory} " +
                $"({string.Join(", ", export.PerClass.Select(kv => $"{kv.Key}: {kv.Value}"))}); labels from the original in {export.LabelsCsv}." +
                (set.Stale > 0 ? $" {set.Stale} stored deviation(s) no longer deviate and were left out." : ""));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static IReadOnlyList<string>? ClassNames(DeviationSet set)
    {
        try { return set.Folder.SeedSource is { } s ? Datasets.SeedSource.Open(s).ClassNames : null; }
        catch (DflareException) { return null; }
    }
}
