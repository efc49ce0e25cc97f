using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Images;
using Dflare.Search;

namespace Dflare.Journal;

/// <summary>
/// The journal of a search run: <c>OUT/journal.jsonl</c>, one JSON line for the run's settings, then one line per seed
/// as it finishes (everything <c>results.json</c> needs, images included), each flushed to the operating system at
/// once. A killed run therefore loses at most the seeds that were still being searched, and <c>--resume</c> continues
/// it: the finished seeds are read back and only the others are searched. The journal is removed once a complete
/// <c>results.json</c> has been written from it.
/// </summary>
public sealed class SearchJournal : IDisposable
{
    /// <summary>The journal's file name in the output folder.</summary>
    public const string FileName = "journal.jsonl";

    /// <summary>How messages name continuing a run: <c>SearchJournal.Resume</c>.</summary>
    private const string ResumeName = $"{nameof(SearchJournal)}.{nameof(Resume)}";

    private const string Kind = "dflare search journal";
    private const int Version = 1;
    private readonly FileStream _stream;
    private readonly List<SeedSearchResult> _seeds;

    private SearchJournal(string path, FileStream stream, List<SeedSearchResult> seeds)
    {
        Path = path;
        _stream = stream;
        _seeds = seeds;
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>The seeds finished so far (read back on resume, then appended), in finishing order.</summary>
    public IReadOnlyList<SeedSearchResult> Seeds => _seeds;

    /// <summary>The journal path in an output folder.</summary>
    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>
    /// Starts a new journal in <paramref name="directory"/> for a run with these <paramref name="settings"/> (the
    /// <c>run</c> object of <c>results.json</c>).
    /// </summary>
    /// <exception cref="DflareException">The folder already holds the journal of an unfinished run (continue it with
    /// <see cref="Resume"/> or remove it), or the journal cannot be written.</exception>
    public static SearchJournal Start(string directory, JsonObject settings)
    {
        var path = PathIn(directory);
        if (File.Exists(path))
        {
            int finished = CountSeedLines(path);
            throw new SettingException($"'{directory}' holds the journal of an unfinished search ({FileName}, {finished} seed(s) finished): " +
                                       $"continue it ({ResumeName}), or delete '{path}' (or choose another folder) to start again.", ResumeName);
        }
        var stream = OpenForAppend(path, FileMode.CreateNew);
        var journal = new SearchJournal(path, stream, []);
        journal.Append(new JsonObject { ["journal"] = Kind, ["version"] = Version, ["run"] = settings.DeepClone() });
        return journal;
    }

    /// <summary>
    /// Opens the journal of an interrupted run in <paramref name="directory"/> to continue it: checks that it was made
    /// with the same <paramref name="settings"/>, reads the finished seeds back and drops a last line cut short by a kill.
    /// </summary>
    /// <exception cref="DflareException">There is no journal, it is damaged, or its run's settings differ (the message lists them).</exception>
    public static SearchJournal Resume(string directory, JsonObject settings)
    {
        var path = PathIn(directory);
        if (!File.Exists(path))
        {
            var finished = File.Exists(System.IO.Path.Combine(directory, SearchReport.ResultsFile));
            throw new SettingException(finished
                ? $"{ResumeName}: the search in '{directory}' has finished (results.json, no {FileName}); there is nothing to continue."
                : $"{ResumeName}: '{directory}' has no {FileName}; there is no interrupted search to continue there.", ResumeName);
        }
        var bytes = File.ReadAllBytes(path);
        // A kill can cut the last line short: keep everything up to the last newline.
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) throw new DflareException($"Journal '{path}' is empty or damaged (no settings line); delete it to start again.");
        JsonObject header;
        try { header = JsonNode.Parse(lines[0])!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new DflareException($"Journal '{path}' is damaged: its first line is not the run's settings ({e.Message}); delete it to start again.", e); }
        if ((string?)header["journal"] != Kind || header["run"] is not JsonObject previous)
            throw new DflareException($"'{path}' is not a dflare search journal; delete it to start again.");
        if (Differences(previous, settings) is { Count: > 0 } diff)
            throw new SettingException($"{ResumeName}: the interrupted search in '{directory}' was run with other settings ({string.Join("; ", diff)}); " +
                                       "give the same options, or delete its journal to start again.", ResumeName);
        var seeds = new List<SeedSearchResult>();
        for (int i = 1; i < lines.Length; i++)
        {
            try { seeds.Add(SeedJson.Read(JsonNode.Parse(lines[i])!.AsObject())); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or NullReferenceException or ArgumentException or DflareException)
            { throw new DflareException($"Journal '{path}' is damaged at line {i + 1} ({e.Message}); delete it to start again.", e); }
        }
        var stream = OpenForAppend(path, FileMode.Open);
        stream.SetLength(end); // drop the cut-short line
        stream.Seek(0, SeekOrigin.End);
        return new SearchJournal(path, stream, seeds);
    }

    /// <summary>Appends a finished seed and flushes it to the operating system (it survives a killed process).</summary>
    /// <remarks>When the journal cannot be written (the disk filled up, the folder was made read-only), the seed is
    /// still kept in memory and <see cref="WriteError"/> is set; the run goes on and its results are written at the end.</remarks>
    public void Add(SeedSearchResult seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (WriteError is null)
        {
            try { Append(SeedJson.Write(seed)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { WriteError = e; }
        }
        _seeds.Add(seed);
    }

    /// <summary>The first error writing the journal, if any (the seeds since are kept in memory only).</summary>
    public Exception? WriteError { get; private set; }

    /// <summary>Closes and deletes the journal (its run's complete results.json has been written).</summary>
    public void Complete()
    {
        _stream.Dispose();
        try { File.Delete(Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a stale journal only blocks a rerun, with a clear message
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private void Append(JsonObject line)
    {
        var bytes = Encoding.UTF8.GetBytes(line.ToJsonString() + "\n");
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: false);
    }

    private static FileStream OpenForAppend(string path, FileMode mode)
    {
        try { return new FileStream(path, mode, FileAccess.ReadWrite, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DflareException($"Journal '{path}' cannot be written: {e.Message}", e); }
    }

    private static int CountSeedLines(string path)
    {
        try { return Math.Max(0, File.ReadLines(path).Count(l => l.Length > 0 && l.EndsWith('}')) - 1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    /// <summary>The settings that differ between two <c>run</c> objects, as <c>name: before → now</c>.</summary>
    public static IReadOnlyList<string> Differences(JsonObject before, JsonObject now)
    {
        var keys = before.Select(p => p.Key).Union(now.Select(p => p.Key)).ToArray();
        var diff = new List<string>();
        foreach (var k in keys)
        {
            before.TryGetPropertyValue(k, out var a);
            now.TryGetPropertyValue(k, out var b);
            if (!JsonNode.DeepEquals(a, b))
                diff.Add($"{k}: {a?.ToJsonString() ?? "none"} → {b?.ToJsonString() ?? "none"}");
        }
        return diff;
    }

    /// <summary>A seed's result as one JSON object with every field at full precision (floats round-trip).</summary>
    internal static class SeedJson
    {
        public static JsonObject Write(SeedSearchResult s) => new()
        {
            ["id"] = s.SeedId,
            ["index"] = s.SeedIndex,
            ["trueLabel"] = s.TrueLabel,
            ["status"] = s.Status.ToString(),
            ["stopReason"] = s.StopReason,
            ["queries"] = s.Queries,
            ["iterations"] = s.Iterations,
            ["seconds"] = s.Seconds,
            ["seedOriginalLabel"] = s.SeedOriginalLabel,
            ["seedCompressedLabel"] = s.SeedCompressedLabel,
            ["seedImage"] = ImageNode(s.SeedImage),
            ["seedOriginalProbabilities"] = Floats(s.SeedOriginalProbabilities),
            ["seedCompressedProbabilities"] = Floats(s.SeedCompressedProbabilities),
            ["trigger"] = s.Trigger is null ? null : ImageNode(s.Trigger),
            ["originalLabel"] = s.OriginalLabel,
            ["compressedLabel"] = s.CompressedLabel,
            ["originalProbabilities"] = Floats(s.OriginalProbabilities),
            ["compressedProbabilities"] = Floats(s.CompressedProbabilities),
            ["l0"] = s.L0,
            ["l2"] = s.L2,
            ["linf"] = s.LInf,
            ["ssim"] = s.Ssim,
            ["mutations"] = new JsonArray(s.Mutations.Select(m => (JsonNode)new JsonArray(m.Mutant, m.Operator)).ToArray()),
            ["operatorStats"] = new JsonArray(s.OperatorStats.Select(o => (JsonNode)new JsonArray(o.Operator, o.Selections, o.Successes)).ToArray()),
            ["tiesOrBelowMargin"] = s.TiesOrBelowMargin,
            ["originalQueries"] = s.OriginalQueries,
            ["foundTrigger"] = s.FoundTrigger is null ? null : ReferenceEquals(s.FoundTrigger, s.Trigger) ? "trigger" : ImageNode(s.FoundTrigger),
            ["shrink"] = s.Shrink is not { } k ? null : new JsonObject
            {
                ["queries"] = k.Queries, ["probes"] = k.Probes, ["accepted"] = k.Accepted, ["l0Before"] = k.L0Before,
                ["l2Before"] = k.L2Before, ["linfBefore"] = k.LInfBefore, ["ssimBefore"] = k.SsimBefore, ["nearerFound"] = k.NearerFound,
            },
        };

        public static SeedSearchResult Read(JsonObject o)
        {
            var trigger = o["trigger"] is { } t ? ReadImage(t) : null;
            return new SeedSearchResult
            {
            SeedId = (string)o["id"]!,
            SeedIndex = (int)o["index"]!,
            TrueLabel = (int?)o["trueLabel"],
            Status = Enum.Parse<SearchStatus>((string)o["status"]!),
            StopReason = (string)o["stopReason"]!,
            Queries = (long)o["queries"]!,
            Iterations = (int)o["iterations"]!,
            Seconds = (double)o["seconds"]!,
            SeedOriginalLabel = (int)o["seedOriginalLabel"]!,
            SeedCompressedLabel = (int)o["seedCompressedLabel"]!,
            SeedImage = ReadImage(o["seedImage"]!),
            SeedOriginalProbabilities = ReadFloats(o["seedOriginalProbabilities"])!,
            SeedCompressedProbabilities = ReadFloats(o["seedCompressedProbabilities"])!,
            Trigger = trigger,
            OriginalLabel = (int?)o["originalLabel"],
            CompressedLabel = (int?)o["compressedLabel"],
            OriginalProbabilities = ReadFloats(o["originalProbabilities"]),
            CompressedProbabilities = ReadFloats(o["compressedProbabilities"]),
            L0 = (int?)o["l0"],
            L2 = (double?)o["l2"],
            LInf = (int?)o["linf"],
            Ssim = (double?)o["ssim"],
            Mutations = o["mutations"]!.AsArray().Select(m => new MutationStep((int)m![0]!, (string)m[1]!)).ToArray(),
            OperatorStats = o["operatorStats"]!.AsArray().Select(m => new OperatorStat((string)m![0]!, (int)m[1]!, (int)m[2]!)).ToArray(),
            TiesOrBelowMargin = (int)o["tiesOrBelowMargin"]!,
            OriginalQueries = (long?)o["originalQueries"] ?? 0,
            FoundTrigger = o["foundTrigger"] switch
            {
                null => null,
                JsonValue v when (string?)v == "trigger" => trigger,
                var f => ReadImage(f),
            },
            Shrink = o["shrink"] is JsonObject k
                ? new ShrinkOutcome((long)k["queries"]!, (int)k["probes"]!, (int)k["accepted"]!, (int)k["l0Before"]!, (double)k["l2Before"]!,
                    (int)k["linfBefore"]!, (double)k["ssimBefore"]!) { NearerFound = (bool)k["nearerFound"]! }
                : null,
            };
        }

        private static JsonNode ImageNode(Image image) => Convert.ToBase64String(image.EncodePng());

        private static Image ReadImage(JsonNode node) => Image.Decode(Convert.FromBase64String((string)node!), "journal image");

        private static JsonArray? Floats(float[]? values) =>
            values is null ? null : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

        private static float[]? ReadFloats(JsonNode? node) => node?.AsArray().Select(v => (float)v!).ToArray();
    }
}
