using System.CommandLine;
using Dflare.Snapshots;

namespace Dflare.Cli.Commands;

/// <summary><c>dflare accept [DIR]</c>: promotes received snapshots to verified.</summary>
internal static class AcceptCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder to search recursively for *.received.* files (default: the current folder).", DefaultValueFactory = _ => "." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be accepted without changing anything." };
        var cmd = new Command("accept", "Accept received snapshots: rename every *.received.png/json pair to *.verified.png/json, each pair as a unit (review pictures are removed). Exit 2 when a snapshot could not be accepted.") { dir, dryRun };
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var folder = r.GetValue(dir)!;
            if (!Directory.Exists(folder)) throw new DflareException($"Snapshot folder '{folder}' does not exist.");
            if (CiEnvironment.IsCi)
                Console.Error.WriteLine("warning: CI is set; accepting snapshots on a build server is usually a mistake (continuing because you asked explicitly).");
            if (r.GetValue(dryRun))
            {
                var found = SnapshotAcceptor.FindReceived(folder);
                foreach (var f in found) Console.Out.WriteLine($"would accept {Path.GetRelativePath(folder, f)}");
                Console.Out.WriteLine($"{found.Count} received file(s).");
                return CommandRunner.Ok;
            }
            var result = SnapshotAcceptor.AcceptAll(folder);
            var done = result.Files;
            foreach (var a in done)
                Console.Out.WriteLine(a.Verified is null
                    ? $"removed  {Path.GetRelativePath(folder, a.Received)}"
                    : $"accepted {Path.GetRelativePath(folder, a.Received)} -> {Path.GetFileName(a.Verified)}");
            int files = done.Count(a => a.Verified is not null), images = done.Count(a => a.Verified is { } v && v.EndsWith(".png", StringComparison.OrdinalIgnoreCase));
            Console.Out.WriteLine(done.Count == 0 && result.Problems.Count == 0 ? "Nothing to accept: no *.received.* files." : $"{images} snapshot(s) accepted ({files} files); commit the *.verified.* files.");
            foreach (var p in result.Problems) Console.Error.WriteLine($"error: {p}");
            return result.Problems.Count == 0 ? CommandRunner.Ok : CommandRunner.BadInput;
        }));
        return cmd;
    }
}
