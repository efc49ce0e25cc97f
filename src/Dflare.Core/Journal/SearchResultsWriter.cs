using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Search;

namespace Dflare.Journal;

/// <summary>How much of a run finished, for a <c>results.json</c> written before the run's end.</summary>
/// <param name="Finished">Seeds that finished.</param>
/// <param name="Planned">Seeds the run was to search.</param>
/// <param name="Reason">Why it stopped early, in words (e.g. <c>interrupted</c>).</param>
/// <param name="HowToContinue">How to complete the run, in the words of the tool that wrote it (the CLI names its <c>--resume</c> flag).</param>
public sealed record PartialRun(int Finished, int Planned, string Reason, string HowToContinue = "resume the run from its journal");

/// <summary>
/// Writes a search run's output folder: the trigger pictures, then <c>results.json</c> (atomically), then removes
/// trigger pictures an earlier run left there that the new results do not list. A partial run's <c>results.json</c>
/// says so at the top and labels its rates as partial, since the seeds that finish first are the quick ones.
/// </summary>
public static class SearchResultsWriter
{
    /// <summary>The summary fields that are rates or medians over the finished seeds (renamed <c>partial…</c> in a partial run).</summary>
    public static readonly IReadOnlyList<string> RateFields =
        ["successRate", "medianQueriesPerTrigger", "meanQueriesPerTrigger", "medianLinf", "medianL2", "medianSsim"];

    private const int FlushBytes = 64 * 1024;

    /// <summary>Writes the folder; returns the results.json path.</summary>
    public static string Write(SearchRunResult run, string directory, SearchReportContext context, PartialRun? partial = null)
    {
        Directory.CreateDirectory(directory);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in run.Seeds.Where(s => s.Trigger is not null))
        {
            var (picture, input) = SearchReport.FileNames(s.SeedId);
            SearchReport.Picture(s, context).SavePng(Path.Combine(directory, picture));
            s.Trigger!.SavePng(Path.Combine(directory, input));
            listed.Add(Path.GetFileName(picture));
            listed.Add(Path.GetFileName(input));
        }
        // Streamed seed by seed: the whole document as one tree, one string or one buffer would cost tens of MB at thousands of seeds.
        var head = ToJson(run, context, partial, withSeeds: false);
        var path = Path.Combine(directory, SearchReport.ResultsFile);
        AtomicFile.Write(path, stream =>
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                foreach (var (key, value) in head)
                {
                    w.WritePropertyName(key);
                    if (key != "seeds") { WriteNode(w, value); continue; }
                    w.WriteStartArray();
                    foreach (var s in run.Seeds)
                    {
                        SearchReport.Seed(s, context).WriteTo(w);
                        // A Utf8JsonWriter keeps everything written in its own buffer until flushed: without this the
                        // whole document (about 2.3 KB per seed) would sit in memory before reaching the file.
                        if (w.BytesPending > FlushBytes) w.Flush();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        });
        RemoveStalePictures(directory, listed);
        return path;
    }

    /// <summary><see cref="SearchReport.ToJson"/>, marked partial when <paramref name="partial"/> is given.</summary>
    public static JsonObject ToJson(SearchRunResult run, SearchReportContext context, PartialRun? partial, bool withSeeds = true)
    {
        var json = SearchReport.ToJson(run, context, withSeeds);
        if (partial is null) return json;
        var marked = new JsonObject();
        foreach (var (key, value) in json.ToArray())
        {
            json.Remove(key);
            if (key == "summary" && value is JsonObject summary)
            {
                var s = new JsonObject { ["partial"] = true };
                foreach (var (k, v) in summary.ToArray())
                {
                    summary.Remove(k);
                    s[RateFields.Contains(k) ? "partial" + char.ToUpperInvariant(k[0]) + k[1..] : k] = v;
                }
                marked[key] = s;
            }
            else marked[key] = value;
            if (key == "tool")
                marked["partial"] = new JsonObject
                {
                    ["reason"] = partial.Reason,
                    ["seedsFinished"] = partial.Finished,
                    ["seedsPlanned"] = partial.Planned,
                    ["note"] = "Only the seeds that finished are listed. Easy seeds finish first, so the partial rates are not the run's; " +
                               $"{partial.HowToContinue} for its results.",
                };
        }
        return marked;
    }

    private static void WriteNode(Utf8JsonWriter w, JsonNode? node)
    {
        if (node is null) w.WriteNullValue();
        else node.WriteTo(w);
    }

    /// <summary>Deletes <c>triggers/seed-*.png</c> files not in <paramref name="listed"/> (left by an earlier run into the same folder).</summary>
    private static void RemoveStalePictures(string directory, HashSet<string> listed)
    {
        var triggers = Path.Combine(directory, "triggers");
        if (!Directory.Exists(triggers)) return;
        foreach (var f in Directory.EnumerateFiles(triggers, "seed-*.png"))
            if (!listed.Contains(Path.GetFileName(f))) File.Delete(f);
    }
}
