using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Search.DiffChaser;

/// <summary>
/// The DiffChaser baseline (Xie et al., "DiffChaser: Detecting Disagreements for Deep Neural Networks", IJCAI 2019):
/// a genetic algorithm over images, stopped at the first disagreement or when the query budget is spent.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Generation 1: <see cref="DiffChaserSettings.Population"/> mutants of the seed.</item>
/// <item>Each next generation: the best individual so far is kept unchanged and not re-evaluated (elitism of one),
/// plus Population − 1 children. A child takes a parent chosen by tournament (<see cref="DiffChaserSettings.TournamentSize"/>
/// individuals drawn with replacement, the fittest wins); with probability <see cref="DiffChaserSettings.CrossoverRate"/> a
/// random rectangle (all channels) is copied into it from a second tournament parent (regional crossover). Then each value
/// is mutated with probability <see cref="DiffChaserSettings.MutationRate"/> by a uniform integer in
/// [−<see cref="DiffChaserSettings.MutationStep"/>, +step], clipped to 0..255 and to the optional L∞ box; a child below the
/// optional SSIM bound is redrawn (up to 10 times, then its parent is used).</item>
/// <item>Fitness (higher is closer to a disagreement), with y_o / y_c the original's / compressed model's top-1 label and
/// w = <see cref="DiffChaserSettings.UncertaintyWeight"/>: the better of "the compressed model leaves y_o",
/// <c>(P_o(y_o) − P_c(y_o)) − w·(P_c(y_o) − max_{j≠y_o} P_c(j))</c>, and the symmetric "the original leaves y_c". The first
/// term is the difference of the two models' probabilities, the second the deviating model's uncertainty (top-1 versus
/// second).</item>
/// <item>Queries: a generation is evaluated as one batch, but counted as a sequential run would be: up to and including
/// the first individual (in order) on which the labels differ (<see cref="Deviation"/> rule); a generation is cut to the
/// budget left.</item>
/// </list>
/// All randomness comes from the stream (run seed, seed id).
/// </remarks>
public sealed class DiffChaserSearch : SeedSearch
{
    private readonly DiffChaserSettings _p;
    private readonly Rng _rng;
    private List<(Image Image, double Fitness)> _population = [];
    private (Image Image, double Fitness) _best;

    /// <summary>Starts the search of <paramref name="seed"/> (<paramref name="image"/>: the seed at model geometry).</summary>
    public DiffChaserSearch(Seed seed, Image image, SearchSettings settings) : base(seed, image, settings)
    {
        _p = settings.DiffChaser;
        _rng = Rng.For(settings.RunSeed, seed.Id, 0);
    }

    /// <summary>The fitness of an image from both models' probabilities (higher is closer to a disagreement).</summary>
    public static double Fitness(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed, double uncertaintyWeight)
    {
        static double Directed(ReadOnlySpan<float> stays, ReadOnlySpan<float> leaves, double w)
        {
            int y = Labels.ArgMax(stays);
            double second = double.NegativeInfinity;
            for (int j = 0; j < leaves.Length; j++) if (j != y && leaves[j] > second) second = leaves[j];
            return ((double)stays[y] - leaves[y]) - w * (leaves[y] - second);
        }
        return Math.Max(Directed(original, compressed, uncertaintyWeight), Directed(compressed, original, uncertaintyWeight));
    }

    /// <inheritdoc />
    protected override void ObserveSeed(float[] original, float[] compressed) =>
        _best = (SeedImage, Fitness(original, compressed, _p.UncertaintyWeight));

    /// <inheritdoc />
    protected override IReadOnlyList<Image>? ProposeMutants(int maxImages)
    {
        var next = new List<Image>();
        if (_population.Count == 0)
        {
            int n = Math.Min(_p.Population, maxImages);
            for (int i = 0; i < n; i++) next.Add(Admissible(() => Mutate(SeedImage), SeedImage));
            return next;
        }
        int children = Math.Min(_p.Population - 1, maxImages);
        for (int i = 0; i < children; i++)
        {
            var a = Tournament();
            next.Add(Admissible(() =>
            {
                var child = _rng.Chance(_p.CrossoverRate) ? Crossover(a, Tournament()) : a.Clone();
                return Mutate(child);
            }, a));
        }
        return next;
    }

    /// <inheritdoc />
    protected override int ObserveMutants(IReadOnlyList<Image> mutants, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        Iterations++;
        var evaluated = new List<(Image, double)>(mutants.Count + 1);
        for (int i = 0; i < mutants.Count; i++)
        {
            if (Judge(original[i], compressed[i]) == Verdict.Deviate)
            {
                Triggered(mutants[i], original[i], compressed[i]);
                return i + 1;
            }
            evaluated.Add((mutants[i], Fitness(original[i], compressed[i], _p.UncertaintyWeight)));
        }
        // Elitism of one: the best individual so far (seed included) survives unchanged; its fitness is known.
        foreach (var e in evaluated) if (e.Item2 > _best.Fitness) _best = e;
        if (!evaluated.Any(e => ReferenceEquals(e.Item1, _best.Image))) evaluated.Insert(0, _best);
        _population = evaluated;
        return mutants.Count;
    }

    private Image Tournament()
    {
        var best = _population[_rng.NextInt(_population.Count)];
        for (int i = 1; i < _p.TournamentSize; i++)
        {
            var c = _population[_rng.NextInt(_population.Count)];
            if (c.Fitness > best.Fitness) best = c;
        }
        return best.Image;
    }

    private Image Crossover(Image a, Image b)
    {
        var child = a.Clone();
        int w = a.Width, h = a.Height, c = a.Channels;
        int x0 = _rng.NextInt(w), y0 = _rng.NextInt(h);
        int rw = _rng.NextInt(1, w - x0), rh = _rng.NextInt(1, h - y0);
        for (int y = y0; y < y0 + rh; y++)
            Array.Copy(b.Pixels, (y * w + x0) * c, child.Pixels, (y * w + x0) * c, rw * c);
        return child;
    }

    private Image Mutate(Image source)
    {
        var img = source.Clone();
        var px = img.Pixels;
        for (int i = 0; i < px.Length; i++)
            if (_rng.Chance(_p.MutationRate))
                px[i] = PixelOps.RoundClip(px[i] + _rng.NextInt(-_p.MutationStep, _p.MutationStep));
        Settings.Bound.Clip(img, SeedImage);
        return img;
    }

    private Image Admissible(Func<Image> make, Image fallback)
    {
        for (int i = 0; i < 10; i++)
        {
            var img = make();
            if (Settings.Bound.Accepts(img, SeedImage)) return img;
        }
        return fallback.Clone();
    }
}
