using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Reports;

/// <summary>
/// Reads and writes gate results: the report directory's <c>results.json</c>, and the per-case fragments a test run
/// writes while it runs (<c>fragments/RUN/*.json</c>, each written atomically so parallel cases never clobber each
/// other) before they are combined at the end of the run.
/// </summary>
public static class GateResultsStore
{
    /// <summary>The results file in a report directory.</summary>
    public const string ResultsFile = "results.json";
    /// <summary>The folder of per-case fragments in a report directory.</summary>
    public const string FragmentsFolder = "fragments";
    /// <summary>The folder of pictures in a report directory.</summary>
    public const string ImagesFolder = "images";

    /// <summary>The JSON options of every gate file (camelCase, indented, nulls omitted).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serializes results as JSON text.</summary>
    public static string ToJson(GateResults results) => JsonSerializer.Serialize(results, Json) + "\n";

    /// <summary>Parses a gate's <c>results.json</c> text.</summary>
    /// <exception cref="DflareException">The text is not a gate's results.</exception>
    public static GateResults FromJson(string json, string what = "results")
    {
        GateResults? r;
        try { r = JsonSerializer.Deserialize<GateResults>(json, Json); }
        catch (JsonException e) { throw new DflareException($"{what} is not valid gate results JSON: {e.Message}"); }
        if (r is null || r.Tool != GateResults.ToolName)
            throw new DflareException($"{what} is not the results.json of a Dflare test run (its \"tool\" is '{r?.Tool}', expected '{GateResults.ToolName}')." +
                (r?.Tool == "dflare search" ? " A 'dflare search' folder has its pictures in triggers/ already; report and merge read the report directory of 'dotnet test' (TestResults/dflare) or of 'dflare check --report DIR'." : ""));
        if (r.FormatVersion > GateResults.CurrentFormatVersion)
            throw new DflareException($"{what} has format version {r.FormatVersion}; this Dflare reads up to {GateResults.CurrentFormatVersion}.");
        if (r.FormatVersion < GateResults.CurrentFormatVersion)
            throw new DflareException($"{what} has format version {r.FormatVersion} (an older Dflare); rerun the tests to write version {GateResults.CurrentFormatVersion}.");
        r = r.Normalized();
        foreach (var c in r.Cases)
        {
            if (string.IsNullOrEmpty(c.Id) || string.IsNullOrEmpty(c.Original) || string.IsNullOrEmpty(c.Compressed))
                throw new DflareException($"{what} is damaged: a case has no id, original or compressed model.");
            if (c.Seeds.FirstOrDefault(s => string.IsNullOrEmpty(s.Id)) is not null)
                throw new DflareException($"{what} is damaged: case {c.Id} has a seed without an id.");
        }
        return r;
    }

    /// <summary>Writes <c>results.json</c> into <paramref name="directory"/> atomically; returns its path.</summary>
    public static string Write(GateResults results, string directory)
    {
        var path = Path.Combine(directory, ResultsFile);
        AtomicFile.WriteAllText(path, ToJson(results));
        return path;
    }

    /// <summary>Reads <c>results.json</c> from a report directory (or a results file path).</summary>
    /// <exception cref="DflareException">Missing or not a gate's results.</exception>
    public static GateResults Read(string directoryOrFile)
    {
        var path = Directory.Exists(directoryOrFile) ? Path.Combine(directoryOrFile, ResultsFile) : directoryOrFile;
        if (!File.Exists(path))
            throw new DflareException(Directory.Exists(directoryOrFile)
                ? $"'{directoryOrFile}' has no {ResultsFile}: it is not the report directory of a finished Dflare test run."
                : $"'{directoryOrFile}' does not exist.");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Writes one deviation case of run <paramref name="runId"/> as a fragment (atomically); returns its path.</summary>
    public static string WriteFragment(string directory, string runId, DeviationCaseRecord record) =>
        WriteFragment(directory, runId, "case", record.Id, JsonSerializer.Serialize(record, Json));

    /// <summary>Writes one robustness check of run <paramref name="runId"/> as a fragment (atomically); returns its path.</summary>
    public static string WriteFragment(string directory, string runId, RobustnessRecord record) =>
        WriteFragment(directory, runId, "robustness", record.Id, JsonSerializer.Serialize(record, Json));

    private static string WriteFragment(string directory, string runId, string kind, string id, string json)
    {
        var path = Path.Combine(directory, FragmentsFolder, runId, $"{kind}-{FileKey(id)}.json");
        AtomicFile.WriteAllText(path, json);
        return path;
    }

    /// <summary>Reads the fragments of run <paramref name="runId"/> (cases and robustness checks), in a stable order.</summary>
    public static (IReadOnlyList<DeviationCaseRecord> Cases, IReadOnlyList<RobustnessRecord> Robustness) ReadFragments(string directory, string runId)
    {
        var dir = Path.Combine(directory, FragmentsFolder, runId);
        var cases = new List<DeviationCaseRecord>();
        var checks = new List<RobustnessRecord>();
        if (!Directory.Exists(dir)) return (cases, checks);
        foreach (var f in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(f);
            var text = File.ReadAllText(f);
            try
            {
                if (name.StartsWith("case-", StringComparison.Ordinal))
                {
                    var c = JsonSerializer.Deserialize<DeviationCaseRecord>(text, Json) ?? throw new JsonException("it holds null");
                    cases.Add(c with { Seeds = c.Seeds ?? [], Operators = c.Operators ?? [], ChangedModels = c.ChangedModels ?? [] });
                }
                else if (name.StartsWith("robustness-", StringComparison.Ordinal)) checks.Add(JsonSerializer.Deserialize<RobustnessRecord>(text, Json) ?? throw new JsonException("it holds null"));
            }
            catch (JsonException e) { throw new DflareException($"The report fragment '{f}' is damaged: {e.Message}"); }
        }
        return (Sort(cases), checks.OrderBy(r => r.Id, StringComparer.Ordinal).ToList());
    }

    /// <summary>Cases in report order: test class, method, then first seed position.</summary>
    public static IReadOnlyList<DeviationCaseRecord> Sort(IEnumerable<DeviationCaseRecord> cases) =>
        cases.OrderBy(c => c.TestClass, StringComparer.Ordinal).ThenBy(c => c.TestMethod, StringComparer.Ordinal)
            .ThenBy(c => c.Seeds.Count == 0 ? -1 : c.Seeds[0].Index).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();

    /// <summary>A short file-name-safe key for an id: readable prefix plus a hash, so different ids never collide.</summary>
    public static string FileKey(string id)
    {
        var sb = new StringBuilder();
        foreach (var ch in id)
        {
            if (sb.Length >= 60) break;
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_');
        }
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..10].ToLowerInvariant();
        return $"{sb.ToString().Trim('.')}-{hash}";
    }
}
