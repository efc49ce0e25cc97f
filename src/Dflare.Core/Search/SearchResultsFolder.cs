using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Images;

namespace Dflare.Search;

/// <summary>One searched seed as a <c>dflare search</c> results folder records it.</summary>
public sealed record StoredSeed
{
    /// <summary>The seed's id in its source.</summary>
    public required string Id { get; init; }
    /// <summary>The seed's position in its source.</summary>
    public required int Index { get; init; }
    /// <summary>The outcome.</summary>
    public required SearchStatus Status { get; init; }
    /// <summary>The seed's true label, when the source has labels.</summary>
    public int? TrueLabel { get; init; }
    /// <summary>The original model's label on the seed.</summary>
    public required int SeedOriginalLabel { get; init; }
    /// <summary>The compressed model's label on the seed.</summary>
    public required int SeedCompressedLabel { get; init; }
    /// <summary>The original's label on the triggering input (on the seed when already deviating).</summary>
    public int? OriginalLabel { get; init; }
    /// <summary>The compressed model's label on the triggering input (on the seed when already deviating).</summary>
    public int? CompressedLabel { get; init; }
    /// <summary>The triggering input read back from its lossless PNG (null unless triggered).</summary>
    public Image? Trigger { get; init; }
    /// <summary>The PNG file of the triggering input (null unless triggered).</summary>
    public string? TriggerPath { get; init; }
    /// <summary>Largest change from the seed, in pixel levels (null unless triggered).</summary>
    public int? LInf { get; init; }
}

/// <summary>
/// Reads a <c>dflare search</c> results folder back: <c>results.json</c> and each triggering input from its lossless
/// PNG (<c>triggers/seed-ID-input.png</c>, the image at model geometry exactly as the models saw it). The seed images
/// themselves are read from the seed source named in <c>results.json</c> (<see cref="LoadSeedImages"/>).
/// </summary>
public sealed class SearchResultsFolder
{
    private SearchResultsFolder(string directory, JsonObject run, IReadOnlyList<StoredSeed> seeds)
    {
        Directory = directory;
        Run = run;
        Seeds = seeds;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The <c>run</c> object of results.json (settings: models, seed source, budget, bound, run seed).</summary>
    public JsonObject Run { get; }

    /// <summary>Every searched seed, in the order of results.json.</summary>
    public IReadOnlyList<StoredSeed> Seeds { get; }

    /// <summary>The seeds with a triggering input.</summary>
    public IReadOnlyList<StoredSeed> Triggered => Seeds.Where(s => s.Trigger is not null).ToList();

    /// <summary>The original model's path as the search was given it.</summary>
    public string? Original => (string?)Run["original"];

    /// <summary>The compressed model's path as the search was given it.</summary>
    public string? Compressed => (string?)Run["compressed"];

    /// <summary>The seed source's path as the search was given it.</summary>
    public string? SeedSource => (string?)Run["seedSource"];

    /// <summary>Reads a results folder.</summary>
    /// <exception cref="DflareException">The folder, results.json or a trigger picture is missing or damaged.</exception>
    public static SearchResultsFolder Load(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new DflareException("No results folder given.");
        if (!System.IO.Directory.Exists(directory))
            throw new DflareException($"Results folder '{directory}' does not exist; run 'dflare search --out {directory} ...' first.");
        var path = Path.Combine(directory, SearchReport.ResultsFile);
        if (!File.Exists(path))
            throw new DflareException($"Results folder '{directory}' has no {SearchReport.ResultsFile}; it is not the output of 'dflare search'.");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new DflareException($"'{path}' is not a JSON object."); }
        catch (JsonException e) { throw new DflareException($"'{path}' is not valid JSON: {e.Message}", e); }
        if (root["run"] is not JsonObject run || root["seeds"] is not JsonArray seeds)
            throw new DflareException((string?)root["tool"] == Reports.GateResults.ToolName
                ? $"'{path}' is the report of a Dflare test run (dotnet test or dflare check), not the output of 'dflare search'. " +
                  $"Run 'dflare search --original ... --compressed ... --seeds ... --max-linf 16 --out DIR' on the same pair and seeds (with the same preprocessing options) and give that DIR."
                : $"'{path}' has no 'run' and 'seeds'; it is not a results file of 'dflare search'.");
        var list = new List<StoredSeed>(seeds.Count);
        foreach (var node in seeds)
        {
            if (node is not JsonObject s) throw new DflareException($"'{path}': an entry of 'seeds' is not an object.");
            try
            {
                var word = (string?)s["status"];
                var status = SearchStatuses.Parse(word) is { } known and not SearchStatus.Replayed ? known
                    : throw new DflareException($"'{path}': seed '{s["id"]}' has an unknown status '{word}'.");
                Image? trigger = null;
                string? triggerPath = null;
                if (status == SearchStatus.Triggered)
                {
                    var input = (string?)s["input"] ?? throw new DflareException($"'{path}': triggered seed '{s["id"]}' names no input picture.");
                    triggerPath = Path.Combine(directory, input);
                    if (!File.Exists(triggerPath))
                        throw new DflareException($"Results folder '{directory}': the triggering input '{input}' of seed '{s["id"]}' is missing.");
                    trigger = Image.Load(triggerPath);
                }
                list.Add(new StoredSeed
                {
                    Id = (string?)s["id"] ?? throw new DflareException($"'{path}': a seed has no id."),
                    Index = (int?)s["index"] ?? throw new DflareException($"'{path}': seed '{s["id"]}' has no index."),
                    Status = status,
                    TrueLabel = (int?)s["trueLabel"],
                    SeedOriginalLabel = (int?)s["seedOriginalLabel"] ?? throw new DflareException($"'{path}': seed '{s["id"]}' has no seedOriginalLabel."),
                    SeedCompressedLabel = (int?)s["seedCompressedLabel"] ?? throw new DflareException($"'{path}': seed '{s["id"]}' has no seedCompressedLabel."),
                    OriginalLabel = (int?)s["originalLabel"],
                    CompressedLabel = (int?)s["compressedLabel"],
                    Trigger = trigger,
                    TriggerPath = triggerPath,
                    LInf = (int?)s["linf"],
                });
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new DflareException($"'{path}': seed entry '{s["id"]}' has a field of the wrong type: {e.Message}", e);
            }
        }
        return new SearchResultsFolder(directory, run, list);
    }

    /// <summary>
    /// Reads the images of the seeds in <paramref name="wanted"/> (all searched seeds when null) from the seed source:
    /// <paramref name="seedSource"/> when given, else the one results.json names (a relative path is tried against the
    /// current folder, then against the results folder).
    /// </summary>
    /// <exception cref="DflareException">The seed source is missing or does not hold the recorded seeds.</exception>
    public IReadOnlyDictionary<int, Seed> LoadSeedImages(string? seedSource = null, IEnumerable<StoredSeed>? wanted = null)
    {
        var path = seedSource ?? SeedSource ?? throw new SettingException($"Results folder '{Directory}' does not name its seed source; give it (seedSource).", nameof(seedSource));
        if (seedSource is null && !File.Exists(path) && !System.IO.Directory.Exists(path) && !Path.IsPathRooted(path)
            && Path.Combine(Directory, path) is var beside && (File.Exists(beside) || System.IO.Directory.Exists(beside)))
            path = beside;
        if (!File.Exists(path) && !System.IO.Directory.Exists(path))
            throw new SettingException($"The seed source '{path}' of results folder '{Directory}' does not exist; give it (seedSource).", nameof(seedSource));
        var source = Datasets.SeedSource.Open(path);
        var seeds = (wanted ?? Seeds).ToList();
        var result = new Dictionary<int, Seed>();
        if (seeds.Count == 0) return result;
        int lo = seeds.Min(s => s.Index), hi = seeds.Max(s => s.Index);
        if (hi >= source.Count)
            throw new DflareException($"Results folder '{Directory}' records seed index {hi}, but seed source '{path}' has only {source.Count} seeds.");
        var indices = seeds.Select(s => s.Index).ToHashSet();
        foreach (var seed in source.Enumerate(lo, hi - lo + 1))
            if (indices.Contains(seed.Index)) result[seed.Index] = seed;
        foreach (var s in seeds)
            if (result[s.Index].Id != s.Id)
                throw new DflareException($"Seed source '{path}' does not match results folder '{Directory}': seed {s.Index} is '{result[s.Index].Id}' there, '{s.Id}' in results.json.");
        return result;
    }
}
