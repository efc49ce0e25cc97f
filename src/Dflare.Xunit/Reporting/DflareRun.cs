using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Dflare.Images;
using Dflare.Reports;

namespace Dflare.Xunit.Reporting;

/// <summary>
/// The recorders of the test run in this process, one per test assembly. Dflare's test cases record what they found
/// (<see cref="DflareRunRecorder.RecordRobustness"/> for QUANOS checks); at the end of the run
/// <see cref="CompleteAll"/> (called by <see cref="DflareReportFixture"/>, or at process exit) writes the report
/// directory: <c>results.json</c>, <c>summary.md</c>, <c>junit.xml</c> and <c>report.html</c>.
/// </summary>
public static class DflareRun
{
    private static readonly ConcurrentDictionary<Assembly, DflareRunRecorder> Recorders = new();
    private static int exitHook;

    /// <summary>The recorder of <paramref name="testAssembly"/> (its settings come from its <c>Dflare.*</c> metadata and <c>DFLARE_*</c> variables).</summary>
    public static DflareRunRecorder For(Assembly testAssembly)
    {
        if (Interlocked.Exchange(ref exitHook, 1) == 0)
            AppDomain.CurrentDomain.ProcessExit += (_, _) => CompleteAll();
        return Recorders.GetOrAdd(testAssembly, a => new DflareRunRecorder(a.GetName().Name ?? "tests", DflareTestSettings.For(a)));
    }

    /// <summary>Writes the report of every recorder that recorded something and has not written it yet; returns the written reports.</summary>
    public static IReadOnlyList<GateReportFiles> CompleteAll()
    {
        var written = new List<GateReportFiles>();
        foreach (var r in Recorders.Values)
            if (r.Complete() is { } files) written.Add(files);
        return written;
    }
}

/// <summary>
/// Records the results of one test assembly's run into its report directory. Each case is written at once as a
/// fragment (atomically, so parallel cases never clobber each other); <see cref="Complete"/> combines the fragments
/// into the report files. Thread-safe.
/// </summary>
public sealed class DflareRunRecorder
{
    private readonly object gate = new();
    private readonly DateTimeOffset started = DateTimeOffset.UtcNow;
    private bool dirty;

    /// <summary>Creates a recorder (normally obtained from <see cref="DflareRun.For"/>).</summary>
    /// <param name="project">The test assembly's name.</param>
    /// <param name="settings">The run's settings; nothing is recorded when <see cref="DflareTestSettings.ReportDirectory"/> is null.</param>
    public DflareRunRecorder(string project, DflareTestSettings settings)
    {
        Project = project;
        Settings = settings;
        ReportDirectory = string.IsNullOrWhiteSpace(settings.ReportDirectory) ? null : Path.GetFullPath(settings.ReportDirectory);
        RunId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>The test assembly's name.</summary>
    public string Project { get; }
    /// <summary>The run's settings.</summary>
    public DflareTestSettings Settings { get; }
    /// <summary>The report directory (null: reports are off).</summary>
    public string? ReportDirectory { get; }
    /// <summary>This run's id (names its fragment folder).</summary>
    public string RunId { get; }
    /// <summary>True when a report directory is set.</summary>
    public bool IsEnabled => ReportDirectory is not null;
    /// <summary>The shard of this run as <c>i/n</c>, or null.</summary>
    public string? Shard => Settings.Shard is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.Index}/{s.Count}") : null;

    /// <summary>
    /// Records one QUANOS robustness check (call it once per check, from inside the test). <see cref="RobustnessRecord.Shard"/>
    /// is filled in when empty. Does nothing when reports are off.
    /// </summary>
    /// <returns>The fragment written, or null when reports are off.</returns>
    public string? RecordRobustness(RobustnessRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (ReportDirectory is null) return null;
        var path = GateResultsStore.WriteFragment(ReportDirectory, RunId, record.Shard is null ? record with { Shard = Shard } : record);
        lock (gate) dirty = true;
        return path;
    }

    /// <summary>Records a finished deviation case (does nothing when reports are off).</summary>
    /// <returns>The fragment written, or null when reports are off.</returns>
    public string? RecordDeviationCase(DeviationCaseRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (ReportDirectory is null) return null;
        var path = GateResultsStore.WriteFragment(ReportDirectory, RunId, record);
        lock (gate) dirty = true;
        return path;
    }

    /// <summary>
    /// Saves a picture into the report's <c>images/</c> folder (atomically) and returns its path relative to the report
    /// directory (with <c>/</c>), for <see cref="SeedRecord.Image"/>; null when reports are off.
    /// </summary>
    public string? SaveImage(string name, Image image)
    {
        if (ReportDirectory is null) return null;
        var file = GateResultsStore.FileKey(name) + ".png";
        image.SavePng(Path.Combine(ReportDirectory, GateResultsStore.ImagesFolder, file));
        return $"{GateResultsStore.ImagesFolder}/{file}";
    }

    /// <summary>
    /// Combines this run's fragments into the report files, when anything was recorded since the last call; returns
    /// the files written (null when there was nothing new or reports are off).
    /// </summary>
    public GateReportFiles? Complete()
    {
        if (ReportDirectory is null) return null;
        lock (gate)
        {
            if (!dirty) return null;
            dirty = false;
            var (cases, checks) = GateResultsStore.ReadFragments(ReportDirectory, RunId);
            var results = new GateResults
            {
                Project = Project,
                Started = started,
                Finished = DateTimeOffset.UtcNow,
                Shards = Shard is { } s ? [s] : [],
                FailOnDeviation = Settings.FailOnDeviation,
                ImageBaseUrl = Settings.ReportImageBaseUrl,
                Cases = cases,
                Robustness = checks,
            };
            var files = GateReport.WriteAll(results, ReportDirectory);
            RemoveStaleFiles(results);
            return files;
        }
    }

    /// <summary>Removes this run's fragments and pictures no report refers to (unless another run is writing into the same folder).</summary>
    private void RemoveStaleFiles(GateResults results)
    {
        var dir = ReportDirectory!;
        try
        {
            var fragments = Path.Combine(dir, GateResultsStore.FragmentsFolder);
            Directory.Delete(Path.Combine(fragments, RunId), recursive: true);
            // Fragment folders of runs that died more than a day ago are leftovers; fresh ones may be a parallel run.
            var others = Directory.GetDirectories(fragments).Where(d => Directory.GetLastWriteTimeUtc(d) > DateTime.UtcNow.AddDays(-1)).ToList();
            foreach (var old in Directory.GetDirectories(fragments).Except(others)) Directory.Delete(old, recursive: true);
            if (others.Count == 0)
            {
                Directory.Delete(fragments, recursive: false);
                var used = results.Cases.SelectMany(c => c.Seeds).Select(s => s.Image).OfType<string>()
                    .Select(i => Path.GetFullPath(Path.Combine(dir, i))).ToHashSet(StringComparer.Ordinal);
                var images = Path.Combine(dir, GateResultsStore.ImagesFolder);
                if (Directory.Exists(images))
                    foreach (var f in Directory.GetFiles(images, "*.png"))
                        if (!used.Contains(Path.GetFullPath(f))) File.Delete(f);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
