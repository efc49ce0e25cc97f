using System.CommandLine;
using Dflare.Reports;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare merge OUT DIR1 DIR2 ...</c>: combines the results of several shards into one report. The merged cases are
/// judged again over all their seeds (a rule such as <c>AllowedDeviations</c> can fail the whole run while every shard
/// passed), so the command exits <see cref="CommandRunner.Found"/> when the merged run fails.
/// </summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var outDir = new Argument<string>("out") { Description = "The report directory to write (created if needed)." };
        var inputs = new Argument<string[]>("dirs") { Description = "Report directories to merge (e.g. of shards 1/n … n/n).", Arity = ArgumentArity.OneOrMore };
        var baseUrl = ReportCommand.ImageBaseUrlOption();
        var cmd = new Command("merge", "Combine the results of several Dflare test runs (e.g. the shards of one run, -p:DflareShard=i/n) into one report: results.json, report.html, summary.md, junit.xml. Exits 1 when the merged run fails (its cases are judged again over all their seeds).")
        {
            outDir, inputs, baseUrl,
        };
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var dirs = r.GetValue(inputs)!;
            var url = ReportLinks.NormalizeBaseUrl(r.GetValue(baseUrl), "--image-base-url");
            foreach (var d in dirs)
                if (!Directory.Exists(d)) throw new DflareException($"Report directory '{d}' does not exist.");
            OutputLocation.CheckFolderBeforeCreating(r.GetValue(outDir)!, "The merged report directory");
            var (results, warnings) = GateReport.Merge(dirs, r.GetValue(outDir)!, url);
            foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
            Console.Out.WriteLine($"merged {dirs.Length} report(s){(results.Shards.Count > 0 ? $" (shards {string.Join(", ", results.Shards)})" : "")} into {Path.GetFullPath(r.GetValue(outDir)!)}");
            ReportCommand.Summarize(results);
            return results.Passed ? CommandRunner.Ok : CommandRunner.Found;
        }));
        return cmd;
    }
}
