using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;

namespace Dflare.Localization;

/// <summary>A deviation read back from a results folder and checked on the given pair.</summary>
/// <param name="Seed">The stored seed entry.</param>
/// <param name="SeedImage">The seed image, at model geometry.</param>
/// <param name="Input">The input on which the models disagree: the triggering input, or the seed itself when it already deviated.</param>
/// <param name="OriginalLabel">The original model's label on <paramref name="Input"/> (now).</param>
/// <param name="CompressedLabel">The compressed model's label on <paramref name="Input"/> (now).</param>
public sealed record Deviation(StoredSeed Seed, Image SeedImage, Image Input, int OriginalLabel, int CompressedLabel);

/// <summary>
/// The deviations of a <c>dflare search</c> results folder, checked on a model pair: each stored triggering input (and
/// each seed that already deviated) is run on both models again, and kept when they still disagree. A folder made with
/// other models is refused when none of its deviations reproduces.
/// </summary>
public sealed class DeviationSet
{
    private DeviationSet(SearchResultsFolder folder, IReadOnlyList<Deviation> deviations, IReadOnlyList<Seed> seeds, int stale)
    {
        Folder = folder;
        Deviations = deviations;
        Seeds = seeds;
        Stale = stale;
    }

    /// <summary>The results folder.</summary>
    public SearchResultsFolder Folder { get; }

    /// <summary>The deviations that reproduce on the pair (triggered seeds first-class, already-deviating seeds too).</summary>
    public IReadOnlyList<Deviation> Deviations { get; }

    /// <summary>The triggered deviations only (those with a seed that did not deviate).</summary>
    public IReadOnlyList<Deviation> Triggered => Deviations.Where(d => d.Seed.Status == SearchStatus.Triggered).ToList();

    /// <summary>Every searched seed, with its image (model geometry).</summary>
    public IReadOnlyList<Seed> Seeds { get; }

    /// <summary>Stored deviations on which the pair no longer disagrees (dropped).</summary>
    public int Stale { get; }

    /// <summary>Reads <paramref name="directory"/> and checks its deviations on <paramref name="pair"/>.</summary>
    /// <param name="directory">The results folder.</param>
    /// <param name="pair">The models.</param>
    /// <param name="seedSource">The seed source, when not the one results.json names.</param>
    /// <exception cref="DflareException">The folder is missing or damaged, its images do not fit the models, or none of its deviations reproduces on them.</exception>
    public static DeviationSet Load(string directory, ModelPair pair, string? seedSource = null)
    {
        var folder = SearchResultsFolder.Load(directory);
        var stored = folder.Seeds.Where(s => s.Status != SearchStatus.NotFound).ToList();
        if (stored.Count == 0)
            throw new DflareException($"Results folder '{directory}' holds no deviation (no seed triggered or already deviated); nothing to work on.");
        int classes = pair.Classes;
        foreach (var s in stored)
            if (s.OriginalLabel >= classes || s.CompressedLabel >= classes)
                throw new DflareException($"Model mismatch: results folder '{directory}' records label {Math.Max(s.OriginalLabel ?? 0, s.CompressedLabel ?? 0)} " +
                    $"for seed '{s.Id}', but the models have {classes} classes (the folder was made with '{folder.Original}' vs '{folder.Compressed}').");
        var info = pair.Original.Info;
        foreach (var s in stored)
            if (s.Trigger is { } t && (t.Width != info.Width || t.Height != info.Height || t.Channels != info.Channels))
                throw new DflareException($"Model mismatch: the triggering input '{s.TriggerPath}' is {t.Width}x{t.Height}x{t.Channels}, " +
                    $"but '{info.Path}' takes {info.Width}x{info.Height}x{info.Channels} (the folder was made with '{folder.Original}' vs '{folder.Compressed}').");
        var images = folder.LoadSeedImages(seedSource);
        var seeds = folder.Seeds.Select(s => images[s.Index] with { Image = pair.Prepare(images[s.Index].Image) }).ToList();
        var byIndex = seeds.ToDictionary(s => s.Index);
        var inputs = stored.Select(s => s.Trigger ?? byIndex[s.Index].Image).ToList();
        var (po, pc) = pair.Predict(inputs);
        var kept = new List<Deviation>();
        for (int i = 0; i < stored.Count; i++)
        {
            int a = Labels.ArgMax(po[i]), b = Labels.ArgMax(pc[i]);
            if (a != b) kept.Add(new Deviation(stored[i], byIndex[stored[i].Index].Image, inputs[i], a, b));
        }
        if (kept.Count == 0)
            throw new DflareException($"Model mismatch: none of the {stored.Count} deviations stored in '{directory}' makes '{pair.Original.Path}' and " +
                $"'{pair.Compressed.Path}' disagree; the folder was made with '{folder.Original}' vs '{folder.Compressed}'.");
        return new DeviationSet(folder, kept, seeds, stored.Count - kept.Count);
    }
}
