// Over 300 lines on purpose: the one check every adapter runs (sanity, replay, search, verdict, snapshot writing) in order.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Snapshots;

namespace Dflare.Check;

/// <summary>
/// The deviation check of a model pair, the one the xUnit attribute, the MSBuild item and <c>dflare check</c> run:
/// <list type="number">
/// <item>evaluate the unmodified seeds on both models (accuracy, disagreement);</item>
/// <item>replay every accepted triggering input (<c>*.verified.png</c>) on the current models: still deviating with the
/// accepted labels → <see cref="SeedState.Known"/>, with other labels → <see cref="SeedState.Changed"/>, no longer
/// deviating → <see cref="SeedState.Fixed"/>;</item>
/// <item>search the other seeds for a meaningful deviation (both margins ≥ <see cref="CheckSettings.MinMargin"/>,
/// within <see cref="CheckSettings.MaxLInf"/>): found → <see cref="SeedState.New"/> with received files written;</item>
/// <item>judge the counts with <see cref="CheckRule.Fails"/>.</item>
/// </list>
/// Known deviations are never searched again, so they stay known whatever the run seed, budget, threads or shard.
/// </summary>
public static class DeviationCheck
{
    private const int Batch = 64;

    /// <summary>The note of a fixed deviation whose labels agree again.</summary>
    private const string NoLongerDeviates = "The accepted input no longer deviates.";

    /// <summary>How to run anyway, after a sanity-check problem (names the setting in each adapter).</summary>
    public const string SanityHint = "If this is intended, turn the sanity check off (SanityCheck = false: `dflare check --no-sanity-check`, or `-p:DflareSanityCheck=false` for `dotnet test`).";

    /// <summary>The generator seed of <see cref="CheckSettings.Sample"/>: fixed, so the run seed never changes which seeds are checked.</summary>
    public const ulong SampleSeed = 0;

    /// <summary>The seed positions a check covers: the sample, or offset and limit applied, then the shard (or the one seed position).</summary>
    public static IReadOnlyList<int> SelectPositions(SeedSource source, CheckSettings s)
    {
        if (s.SeedPosition is { } p)
            return p >= 0 && p < source.Count ? [p] : throw new DflareException($"Seed position {p} is outside '{source.Path}' ({source.Count} seeds).");
        var selected = source.Select(s.Offset, s.Limit is > 0 ? s.Limit : null, s.Sample is > 0 ? s.Sample : null, runSeed: SampleSeed);
        var list = new List<int>();
        for (int k = 0; k < selected.Count; k++)
            if (s.Shard is not { } sh || k % sh.Count == sh.Index - 1) list.Add(selected[k]);
        return list;
    }

    /// <summary>Runs the check.</summary>
    /// <param name="settings">What to check.</param>
    /// <param name="pair">The loaded pair (to share sessions); null loads it from the settings.</param>
    /// <param name="cancellation">Stops the search; the check then throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="sanity">Runs the pair's sanity check on the seed source (an adapter may share one result between many
    /// checks of the same pair); null runs <see cref="Models.SanityCheck"/> directly. Not called when
    /// <see cref="CheckSettings.SanityCheck"/> is false.</param>
    /// <param name="progress">Called on the calling thread as each searched seed finishes, with the seeds searched so far
    /// and the seeds to search (those without a known or changed accepted input); null for none.</param>
    /// <exception cref="DflareException">Bad settings, models or seeds (the message names the file or setting), a pair
    /// the sanity check refuses, or no seed to check.</exception>
    public static CheckVerdict Run(CheckSettings settings, ModelPair? pair = null, CancellationToken cancellation = default,
        Func<ModelPair, SeedSource, SanityResult>? sanity = null, Action<int, int>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        settings.Validate();
        var source = SeedSource.Open(settings.Seeds, settings.Labels);
        var positions = SelectPositions(source, settings);
        if (positions.Count == 0)
            throw new DflareException($"No seeds to check: '{source.Path}' has {source.Count} seeds; offset {settings.Offset}, limit {settings.Limit?.ToString(CultureInfo.InvariantCulture) ?? "none"}" +
                                      (settings.Shard is { } sh ? $", shard {sh.Index}/{sh.Count}" : "") + " leave none.");
        pair ??= ModelPair.Load(settings.Original, settings.Compressed, settings.ModelOptions);
        source.CheckLabels(positions, pair.Classes, pair.Original.Path);
        if (settings.SanityCheck)
            (sanity ?? ((p, src) => Models.SanityCheck.Run(p.Original, p.Compressed, src)))(pair, source)
                .ThrowIfProblems(SanityHint);
        string shaO = Sha256(settings.Original), shaC = Sha256(settings.Compressed);
        var names = source.ClassNames;
        var seeds = positions.Select(p => source.Enumerate(p, 1).Single()).ToList();
        var images = seeds.Select(x => pair.Prepare(x.Image)).ToList();
        var (seedO, seedC) = Predict(pair, images, k => seeds[k].Id);
        var findings = new SeedFinding[seeds.Count];
        var changedModels = new SortedSet<string>(StringComparer.Ordinal);

        // Replay the accepted triggering inputs.
        var paths = seeds.Select(x => settings.SnapshotDirectory is { } d ? SnapshotPaths.ForSeed(d, settings.SnapshotName, x.Id) : null).ToArray();
        var replay = new List<(int I, DeviationSnapshot Snap, Image Input)>();
        for (int i = 0; i < seeds.Count; i++)
        {
            var b = Base(seeds[i], images[i], seedO[i], seedC[i]);
            findings[i] = b;
            if (paths[i] is not { HasVerified: true } sp) continue;
            try
            {
                if (!File.Exists(sp.VerifiedJson)) throw new DflareException($"The verified snapshot {sp.VerifiedJson} is missing (its image {sp.VerifiedImage} is there).");
                if (!File.Exists(sp.VerifiedImage)) throw new DflareException($"The verified snapshot image {sp.VerifiedImage} is missing (its facts {sp.VerifiedJson} are there).");
                var snap = DeviationSnapshot.Read(sp.VerifiedJson);
                var input = Image.Load(sp.VerifiedImage);
                if (input.Width != images[i].Width || input.Height != images[i].Height || input.Channels != images[i].Channels)
                    throw new DflareException($"The verified snapshot image {sp.VerifiedImage} is {input}, but the models take {images[i]} images.");
                replay.Add((i, snap, input));
                if (snap.OriginalModelSha256 is { } so && so != shaO)
                    changedModels.Add($"The original model {Path.GetFileName(settings.Original)} changed since snapshots were accepted (SHA-256 {so[..12]}… then, {shaO[..12]}… now).");
                if (snap.CompressedModelSha256 is { } sc && sc != shaC)
                    changedModels.Add($"The compressed model {Path.GetFileName(settings.Compressed)} changed since snapshots were accepted (SHA-256 {sc[..12]}… then, {shaC[..12]}… now).");
            }
            catch (Exception e) when (e is DflareException or IOException or UnauthorizedAccessException)
            {
                findings[i] = b with { State = SeedState.Error, VerifiedImage = sp.VerifiedImage, Note = Sentence(e.Message) + " Delete the snapshot or accept a new one." };
            }
        }
        if (replay.Count > 0)
        {
            var (ro, rc) = Predict(pair, replay.Select(r => r.Input).ToList(), k => seeds[replay[k].I].Id);
            for (int k = 0; k < replay.Count; k++)
            {
                var (i, snap, input) = replay[k];
                int lo = Labels.ArgMax(ro[k]), lc = Labels.ArgMax(rc[k]);
                var verdict = Deviation.Judge(ro[k], rc[k], settings.MinMargin, Labels.ArgMax(seedO[i]));
                var state = verdict != Verdict.Deviate ? SeedState.Fixed
                    : lo == snap.OriginalLabel && lc == snap.CompressedLabel ? SeedState.Known : SeedState.Changed;
                findings[i] = WithInput(findings[i], input, ro[k], rc[k]) with
                {
                    State = state, AcceptedLabels = (snap.OriginalLabel, snap.CompressedLabel), VerifiedImage = paths[i]!.VerifiedImage,
                    Queries = findings[i].Queries + QueryBudget.Cost(QueryTarget.Both),
                    Operators = snap.Operators,
                    Note = state == SeedState.Fixed
                        ? (lo == lc ? NoLongerDeviates
                            : verdict == Verdict.OriginalMoved ? "The labels still differ, but the original no longer gives its label on the seed."
                            : $"The labels still differ, but not by the margin of {settings.MinMargin.ToString(CultureInfo.InvariantCulture)}.")
                        : null,
                };
            }
        }

        // Search the seeds without a known or changed deviation.
        var toSearch = Enumerable.Range(0, seeds.Count).Where(i => findings[i].State is SeedState.Clean or SeedState.Fixed).ToList();
        IReadOnlyList<OperatorStat> operators = [];
        if (toSearch.Count > 0)
        {
            int searched = 0;
            progress?.Invoke(0, toSearch.Count);
            var run = new SearchRunner(pair, settings.SearchSettings()).Run(toSearch.Select(i => seeds[i]),
                progress is null ? null : _ => progress(++searched, toSearch.Count), cancellation);
            cancellation.ThrowIfCancellationRequested();
            operators = run.OperatorTotals;
            var byId = run.Seeds.ToDictionary(r => r.SeedId, StringComparer.Ordinal);
            foreach (var i in toSearch)
            {
                var r = byId[seeds[i].Id];
                var f = findings[i] with { SearchStatus = r.Status, Queries = findings[i].Queries + r.Queries - QueryBudget.Cost(QueryTarget.Both), Seconds = r.Seconds };
                if (r.Status == SearchStatus.NotFound) { findings[i] = f; continue; }
                var input = r.Trigger ?? r.SeedImage;
                var po = r.OriginalProbabilities!; var pc = r.CompressedProbabilities!;
                findings[i] = WithInput(f, input, po, pc) with
                {
                    State = SeedState.New,
                    Operators = r.Mutations.Select(m => m.Operator).ToList(),
                    Note = f.State != SeedState.Fixed ? null
                        : f.Note is null || f.Note == NoLongerDeviates ? "Its accepted input no longer deviates (fixed), but the search found this one."
                        : $"Its accepted input no longer deviates (fixed): {char.ToLowerInvariant(f.Note[0])}{f.Note[1..]} The search found this one.",
                };
            }
        }

        // Write what a person must review, or accept it.
        bool accept = settings.Accept && !CiEnvironment.IsCi;
        for (int i = 0; i < seeds.Count; i++)
            if (paths[i] is { } sp) findings[i] = Store(findings[i], sp, accept, settings, names, shaO, shaC);

        return new CheckVerdict
        {
            Settings = settings,
            Findings = findings,
            ClassNames = names,
            OriginalSha256 = shaO,
            CompressedSha256 = shaC,
            ChangedModels = changedModels.ToList(),
            Seconds = clock.Elapsed.TotalSeconds,
            Operators = operators,
        };
    }

    /// <summary>The review picture of a finding: seed | input | amplified difference, with both models' labels (null for a clean seed).</summary>
    public static Image? Picture(SeedFinding f, IReadOnlyList<string>? classNames)
    {
        if (f.SeedImage is not { } seed) return null;
        string N(int? label) => label is { } l ? classNames is { } n && l >= 0 && l < n.Count ? n[l] : l.ToString(CultureInfo.InvariantCulture) : "?";
        string P(float[]? p, int? label) => p is not null && label is { } l ? " " + p[l].ToString("F2", CultureInfo.InvariantCulture) : "";
        var panels = new List<(Image, IReadOnlyList<string>)>
        {
            (seed, [$"seed {f.SeedId}", $"orig: {N(f.SeedOriginalLabel)}", $"comp: {N(f.SeedCompressedLabel)}"]),
        };
        if (f.Input is { } input && (f.LInf ?? 0) > 0)
        {
            var (diff, factor) = TriggerPicture.SignedDifference(seed, input);
            panels.Add((input, [$"{f.State.Word()} input", $"orig: {N(f.OriginalLabel)}{P(f.OriginalProbabilities, f.OriginalLabel)}", $"comp: {N(f.CompressedLabel)}{P(f.CompressedProbabilities, f.CompressedLabel)}"]));
            panels.Add((diff, [TriggerPicture.SignedCaption(factor), $"Linf {f.LInf}", $"SSIM {(f.Ssim ?? 1).ToString("F3", CultureInfo.InvariantCulture)}"]));
        }
        else if (f.Input is not null)
            panels[0] = (seed, [$"seed {f.SeedId} ({f.State.Word()})", $"orig: {N(f.OriginalLabel)}{P(f.OriginalProbabilities, f.OriginalLabel)}", $"comp: {N(f.CompressedLabel)}{P(f.CompressedProbabilities, f.CompressedLabel)}"]);
        return TriggerPicture.Compose(panels);
    }

    /// <summary>The facts stored beside an accepted triggering input.</summary>
    public static DeviationSnapshot Facts(SeedFinding f, CheckSettings s, IReadOnlyList<string>? names, string shaO, string shaC)
    {
        int ol = f.OriginalLabel!.Value, cl = f.CompressedLabel!.Value;
        var po = f.OriginalProbabilities!; var pc = f.CompressedProbabilities!;
        string? Name(int l) => names is { } n && l >= 0 && l < n.Count ? n[l] : null;
        return new DeviationSnapshot
        {
            SeedId = f.SeedId,
            OriginalLabel = ol, OriginalLabelName = Name(ol), OriginalProbability = Math.Round(po[ol], 4),
            CompressedLabel = cl, CompressedLabelName = Name(cl), CompressedProbability = Math.Round(pc[cl], 4),
            OriginalMargin = f.OriginalMargin is { } a ? Math.Round(a, 4) : null,
            CompressedMargin = f.CompressedMargin is { } b ? Math.Round(b, 4) : null,
            OriginalProbabilities = po.Select(v => Math.Round((double)v, 4)).ToArray(),
            CompressedProbabilities = pc.Select(v => Math.Round((double)v, 4)).ToArray(),
            Queries = f.Queries, LInf = f.LInf ?? 0, L2 = Math.Round(f.L2 ?? 0, 3), Ssim = f.Ssim is { } ss ? Math.Round(ss, 4) : null,
            RunSeed = unchecked((long)s.RunSeed), Strategy = s.Strategy, Operators = f.Operators,
            OriginalModel = Path.GetFileName(s.Original), CompressedModel = Path.GetFileName(s.Compressed),
            OriginalModelSha256 = shaO, CompressedModelSha256 = shaC,
            OrtVersion = PlatformInfo.OrtVersion, CpuFeatures = PlatformInfo.CpuFeatures,
        };
    }

    /// <summary>SHA-256 of a file, lower-case hex (cached per path, size and time).</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        var key = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        lock (Hashes)
            if (Hashes.TryGetValue(key, out var h)) return h;
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        lock (Hashes) Hashes[key] = hash;
        return hash;
    }

    private static readonly Dictionary<string, string> Hashes = new(StringComparer.Ordinal);

    private static SeedFinding Store(SeedFinding f, SnapshotPaths sp, bool accept, CheckSettings s, IReadOnlyList<string>? names, string shaO, string shaC)
    {
        try
        {
            switch (f.State)
            {
                case SeedState.New or SeedState.Changed when accept:
                    Directory.CreateDirectory(sp.Directory);
                    f.Input!.SavePng(sp.VerifiedImage);
                    AtomicFile.WriteAllText(sp.VerifiedJson, Facts(f, s, names, shaO, shaC).ToJson());
                    sp.DeleteReceived();
                    return f with { State = SeedState.Known, VerifiedImage = sp.VerifiedImage, Note = $"Accepted in this run (was {f.State.Word()})." };
                case SeedState.New or SeedState.Changed:
                    Directory.CreateDirectory(sp.Directory);
                    f.Input!.SavePng(sp.ReceivedImage);
                    AtomicFile.WriteAllText(sp.ReceivedJson, Facts(f, s, names, shaO, shaC).ToJson());
                    Picture(f, names)?.SavePng(sp.ReceivedComposite);
                    return f with { ReceivedImage = sp.ReceivedImage };
                case SeedState.Fixed when accept:
                    sp.DeleteReceived();
                    sp.DeleteVerified();
                    return f with { Note = $"{f.Note} Accept mode deleted its verified snapshot.".TrimStart() };
                case SeedState.Error:
                    return f;
                default:
                    sp.DeleteReceived();
                    return f;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return f with { State = SeedState.Error, Note = $"The {f.State.Word()} finding's snapshot in {sp.Directory} cannot be written: {Sentence(e.Message)}" };
        }
    }

    private static SeedFinding Base(Seed seed, Image image, float[] o, float[] c) => new()
    {
        SeedId = seed.Id, Index = seed.Index, State = SeedState.Clean, TrueLabel = seed.Label, SeedImage = image,
        SeedOriginalLabel = Labels.ArgMax(o), SeedCompressedLabel = Labels.ArgMax(c), Queries = QueryBudget.Cost(QueryTarget.Both),
    };

    private static SeedFinding WithInput(SeedFinding f, Image input, float[] o, float[] c) => f with
    {
        Input = input, OriginalProbabilities = o, CompressedProbabilities = c,
        OriginalLabel = Labels.ArgMax(o), CompressedLabel = Labels.ArgMax(c),
        OriginalMargin = Labels.TopMargin(o), CompressedMargin = Labels.TopMargin(c),
        LInf = Distances.LInf(input, f.SeedImage!), L2 = Distances.L2(input, f.SeedImage!), Ssim = Distances.Ssim(input, f.SeedImage!),
    };

    /// <summary>Both models' scores for <paramref name="images"/>; a non-finite score names the seed of the image (<paramref name="seedOf"/>).</summary>
    private static (float[][] Original, float[][] Compressed) Predict(ModelPair pair, IReadOnlyList<Image> images, Func<int, string> seedOf)
    {
        var o = new List<float[]>(images.Count); var c = new List<float[]>(images.Count);
        for (int i = 0; i < images.Count; i += Batch)
        {
            try
            {
                var (a, b) = pair.Predict(images.Skip(i).Take(Batch).ToList());
                o.AddRange(a); c.AddRange(b);
            }
            catch (Exception e) when (NonFiniteOutputException.In(e) is { } nf)
            {
                int at = -1;
                for (int k = i; k < images.Count && at < 0; k++) if (ReferenceEquals(images[k], nf.Image)) at = k;
                throw nf.ForSeed(at >= 0 ? seedOf(at) : null);
            }
        }
        return (o.ToArray(), c.ToArray());
    }

    private static string Sentence(string text) => text.EndsWith('.') ? text : text + ".";
}
