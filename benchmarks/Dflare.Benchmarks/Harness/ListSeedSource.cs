using Dflare.Datasets;

namespace Dflare.Benchmarks.Harness;

/// <summary>A seed source over seeds already read (e.g. a calibration slice of a dataset).</summary>
internal sealed class ListSeedSource(string path, IReadOnlyList<Seed> seeds) : SeedSource
{
    public override string Path { get; } = path;
    public override int Count => seeds.Count;
    public override bool HasLabels => seeds.Count > 0 && seeds[0].Label is not null;
    public override string Kind => $"{seeds.Count} seeds from {Path}";
    protected override Seed Read(int index) => seeds[index];
}
