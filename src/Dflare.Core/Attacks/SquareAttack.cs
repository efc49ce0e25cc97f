using System.Globalization;
using Dflare.Models;
using Dflare.Search.Random;

namespace Dflare.Attacks;

/// <summary>Settings of a <see cref="SquareAttack"/>.</summary>
public sealed record SquareAttackOptions
{
    /// <summary>The default <see cref="PInit"/>: 0.3 (a 15×15 square on a 28×28 digit, 18×18 on a 32×32 CIFAR image at the start; halved after 0.1 % of the budget).</summary>
    public const double DefaultPInit = 0.3;

    /// <summary>Model queries per attacked image (the first, striped image included; the clean image is not counted). At least 1.</summary>
    public int QueriesPerSeed { get; init; } = 1000;
    /// <summary>
    /// Share of the image's pixels the first squares cover, 0 &lt; p ≤ 1; it is halved on the fixed schedule of
    /// <see cref="SquareSchedule.Share"/>. The original paper uses 0.05 on ImageNet and 0.3 on MNIST; the default
    /// <see cref="DefaultPInit"/> is MNIST's, for the small images this project attacks (on the demo Fashion-MNIST LeNet at
    /// ε = 0.05, 20 seeds, 1,000 queries: 14 flips with 0.3 and 0.5, 12 with 0.1, 11 with 0.05; see docs/quanos.md).
    /// </summary>
    public double PInit { get; init; } = DefaultPInit;
    /// <summary>Run seed of the per-image generators (with the image id and a stream number).</summary>
    public ulong Seed { get; init; }
    /// <summary>How many images advance in lock-step, one query each per step, in one batched model call (memory only: results do not depend on it).</summary>
    public int LockStep { get; init; } = 256;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public void Validate()
    {
        if (QueriesPerSeed < 1) throw new DflareException($"The Square Attack needs at least 1 query per seed; got {QueriesPerSeed}.");
        if (!(PInit > 0 && PInit <= 1)) throw new DflareException($"The Square Attack's p_init must be in (0, 1]; got {PInit.ToString(CultureInfo.InvariantCulture)}.");
        if (LockStep < 1) throw new DflareException($"The Square Attack's lock-step group must hold at least 1 image; got {LockStep}.");
    }

    /// <summary>A one-line description, e.g. <c>square (1000 queries/seed, p_init 0.1, seed 0)</c>.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"square ({QueriesPerSeed} queries/seed, p_init {PInit:G3}, seed {Seed})");
}

/// <summary>One image to attack.</summary>
/// <param name="Id">The image's id; with <paramref name="Stream"/> it selects the image's random stream.</param>
/// <param name="Pixels">The clean image: float pixels on the 0..255 scale, H×W×C at model geometry (not modified).</param>
/// <param name="Target">The class the attack moves away from (untargeted): success is a top-1 class other than this one.</param>
/// <param name="Epsilon">The L∞ budget in [0,1] pixel units, 0 &lt; ε &lt; 1.</param>
/// <param name="Stream">Which attack on this image this is (e.g. a step of a search over ε), so each gets its own reproducible draws.</param>
public sealed record SquareTarget(string Id, float[] Pixels, int Target, double Epsilon, ulong Stream = 0);

/// <summary>The outcome of attacking one image.</summary>
/// <param name="Adversarial">The best image found (lowest margin): float pixels 0..255 within 255·ε of the clean image and within [0, 255].</param>
/// <param name="Scores">The model's raw output row on <paramref name="Adversarial"/>.</param>
/// <param name="Margin">The margin loss on <paramref name="Adversarial"/> (see <see cref="SquareAttack.Margin"/>); negative or 0 with another top-1 class.</param>
/// <param name="Success">True when the top-1 class on <paramref name="Adversarial"/> is not the target.</param>
/// <param name="Queries">Model queries spent (at most the budget).</param>
/// <param name="Accepted">Square updates kept (the margin fell).</param>
public sealed record SquareResult(float[] Adversarial, float[] Scores, double Margin, bool Success, long Queries, int Accepted)
{
    /// <summary>The top-1 class on <see cref="Adversarial"/>.</summary>
    public int Prediction => Labels.ArgMax(Scores);
}

/// <summary>
/// The Square Attack (Andriushchenko, Croce, Flammarion and Hein, ECCV 2020), L∞ and untargeted: a random search that
/// needs no gradients. The image starts at a vertex of the ε ball (vertical stripes of ±ε per column and channel);
/// every step redraws one random square window to ±ε per channel and keeps the change when the margin loss falls.
/// The square's area is a share p of the image that shrinks on a fixed schedule as the budget is spent.
/// </summary>
/// <remarks>
/// <para>Images advance in lock-step: each step sends one candidate per unfinished image to the model in one batch.
/// Each image draws from its own generator (<see cref="Rng.For"/> of the run seed, its id and its stream), and its
/// trajectory depends only on its own draws and the model's outputs on its own candidates, so the result is the same
/// whatever the lock-step group, batch size or thread count (as far as ONNX Runtime returns the same row for the same
/// input).</para>
/// <para>An image stops at its first success or when its budget is spent.</para>
/// <para>Quantized outputs: the loss is only compared, never differentiated. On a plateau of the margin (logits
/// rounded to a few levels) a change is also kept when the margin stays equal and the cross-entropy of the target class
/// does not fall (it sees every class's output), so the search walks across the plateau instead of stalling; on float
/// outputs equal margins practically never occur and this is the paper's rule.</para>
/// </remarks>
public sealed class SquareAttack
{
    /// <summary>Creates the attack.</summary>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public SquareAttack(SquareAttackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The settings.</summary>
    public SquareAttackOptions Options { get; }

    /// <summary>Attacks every target (each with its own budget ε).</summary>
    /// <param name="model">The model (only queried).</param>
    /// <param name="targets">The images.</param>
    /// <param name="progress">Called with the number of images finished so far.</param>
    /// <returns>One result per target, in order.</returns>
    /// <exception cref="DflareException">An image does not fit the model, its target is not a class, or its ε is out of range.</exception>
    public IReadOnlyList<SquareResult> Run(OnnxClassifier model, IReadOnlyList<SquareTarget> targets, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(targets);
        foreach (var t in targets)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (t.Pixels.Length != model.Info.ImageLength)
                throw new DflareException($"Image '{t.Id}' has {t.Pixels.Length} values but model '{model.Path}' takes {model.Info.Width}x{model.Info.Height}x{model.Info.Channels} = {model.Info.ImageLength}.");
            if ((uint)t.Target >= (uint)model.Classes)
                throw new DflareException($"Image '{t.Id}': target class {t.Target} is not a class of model '{model.Path}' (0..{model.Classes - 1}).");
            if (!(t.Epsilon > 0 && t.Epsilon < 1))
                throw new DflareException($"Image '{t.Id}': ε must be in (0, 1) in [0,1] pixel units; got {t.Epsilon.ToString("G6", CultureInfo.InvariantCulture)}.");
        }
        var results = new List<SquareResult>(targets.Count);
        for (int start = 0; start < targets.Count; start += Options.LockStep)
        {
            results.AddRange(RunGroup(model, targets.Skip(start).Take(Options.LockStep).ToList()));
            progress?.Invoke(results.Count);
        }
        return results;
    }

    private sealed class State
    {
        public required SquareTarget Target;
        public required Rng Rng;
        public required float[] X;
        public float[] Row = [];
        public double Margin;
        public double Spread;
        public long Queries;
        public int Accepted;
        public bool Done;
        // The window of the pending candidate and the values it replaced.
        public int R, C, S;
        public float[] Saved = [];
    }

    private List<SquareResult> RunGroup(OnnxClassifier model, IReadOnlyList<SquareTarget> group)
    {
        var info = model.Info;
        int h = info.Height, w = info.Width, ch = info.Channels, budget = Options.QueriesPerSeed;
        var kind = info.OutputKind;
        var states = group.Select(t => new State
        {
            Target = t, Rng = Rng.For(Options.Seed, t.Id, t.Stream), X = new float[t.Pixels.Length],
        }).ToList();

        // Start: vertical stripes, ±ε per column and channel.
        foreach (var s in states)
        {
            float e = (float)(255.0 * s.Target.Epsilon);
            var sign = new float[w * ch];
            for (int k = 0; k < sign.Length; k++) sign[k] = (s.Rng.NextUInt64() & 1) == 0 ? -e : e;
            var x0 = s.Target.Pixels;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < ch; c++)
                    {
                        int i = (y * w + x) * ch + c;
                        s.X[i] = Math.Clamp(x0[i] + sign[x * ch + c], 0f, 255f);
                    }
        }
        var first = model.PredictScores(states.Select(s => s.X).ToList());
        for (int k = 0; k < states.Count; k++)
        {
            var s = states[k];
            s.Row = first[k]; s.Queries = 1;
            s.Margin = Margin(s.Row, s.Target.Target, kind);
            s.Spread = Spread(s.Row, s.Target.Target, kind);
            s.Done = Labels.ArgMax(s.Row) != s.Target.Target || s.Queries >= budget;
        }

        var active = states.Where(s => !s.Done).ToList();
        while (active.Count > 0)
        {
            foreach (var s in active) Propose(s, h, w, ch, budget);
            var rows = model.PredictScores(active.Select(s => s.X).ToList());
            var still = new List<State>(active.Count);
            for (int k = 0; k < active.Count; k++)
            {
                var s = active[k];
                s.Queries++;
                double m = Margin(rows[k], s.Target.Target, kind), spread = m == s.Margin ? Spread(rows[k], s.Target.Target, kind) : 0;
                if (m < s.Margin || (m == s.Margin && spread <= s.Spread))
                {
                    if (m < s.Margin) spread = Spread(rows[k], s.Target.Target, kind);
                    s.Margin = m; s.Spread = spread; s.Row = rows[k]; s.Accepted++;
                    if (Labels.ArgMax(s.Row) != s.Target.Target) s.Done = true;
                }
                else Restore(s, w, ch);
                if (s.Queries >= budget) s.Done = true;
                if (!s.Done) still.Add(s);
            }
            active = still;
        }
        return states.Select(s => new SquareResult(s.X, s.Row, s.Margin, Labels.ArgMax(s.Row) != s.Target.Target, s.Queries, s.Accepted)).ToList();
    }

    // Redraws one square window of the image to x₀ ± ε per channel (in place), remembering what it replaced.
    private void Propose(State s, int h, int w, int ch, int budget)
    {
        int side = SquareSchedule.Side(SquareSchedule.Share(Options.PInit, s.Queries, budget), h, w);
        var x0 = s.Target.Pixels;
        float e = (float)(255.0 * s.Target.Epsilon);
        int r = 0, c0 = 0;
        var signs = new float[ch];
        // Redraw (a few times at most) a window whose values would not change at all.
        for (int attempt = 0; attempt < 10; attempt++)
        {
            r = s.Rng.NextInt(h - side + 1);
            c0 = s.Rng.NextInt(w - side + 1);
            for (int c = 0; c < ch; c++) signs[c] = (s.Rng.NextUInt64() & 1) == 0 ? -e : e;
            if (Changes(s, x0, r, c0, side, w, ch, signs)) break;
        }
        s.R = r; s.C = c0; s.S = side;
        if (s.Saved.Length < side * side * ch) s.Saved = new float[side * side * ch];
        int k = 0;
        for (int y = r; y < r + side; y++)
            for (int x = c0; x < c0 + side; x++)
                for (int c = 0; c < ch; c++)
                {
                    int i = (y * w + x) * ch + c;
                    s.Saved[k++] = s.X[i];
                    s.X[i] = Math.Clamp(x0[i] + signs[c], 0f, 255f);
                }
    }

    private static bool Changes(State s, float[] x0, int r, int c0, int side, int w, int ch, float[] signs)
    {
        for (int y = r; y < r + side; y++)
            for (int x = c0; x < c0 + side; x++)
                for (int c = 0; c < ch; c++)
                {
                    int i = (y * w + x) * ch + c;
                    if (Math.Clamp(x0[i] + signs[c], 0f, 255f) != s.X[i]) return true;
                }
        return false;
    }

    private static void Restore(State s, int w, int ch)
    {
        int k = 0;
        for (int y = s.R; y < s.R + s.S; y++)
            for (int x = s.C; x < s.C + s.S; x++)
                for (int c = 0; c < ch; c++) s.X[(y * w + x) * ch + c] = s.Saved[k++];
    }

    // The tie-break on a margin plateau (quantized outputs): the cross-entropy of the target, which every class moves.
    private static double Spread(ReadOnlySpan<float> row, int target, OutputKind kind) => -Quanos.AdversarialLoss.CrossEntropy(row, target, kind);

    /// <summary>
    /// The margin loss the attack lowers: for logits <c>z_y − max_{j≠y} z_j</c>; for probabilities
    /// <c>log p_y − log max_{j≠y} p_j</c> (each floored at 1e-30), the logit margin of a softmax model. Computed in
    /// double; 0 or negative once another class is on top.
    /// </summary>
    /// <param name="row">The model's raw output row.</param>
    /// <param name="target">The class attacked.</param>
    /// <param name="kind">What the row holds.</param>
    public static double Margin(ReadOnlySpan<float> row, int target, OutputKind kind)
    {
        if ((uint)target >= (uint)row.Length)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Target class must be in [0, {row.Length}).");
        double other = double.NegativeInfinity;
        for (int j = 0; j < row.Length; j++)
            if (j != target) other = Math.Max(other, row[j]);
        if (!double.IsFinite(other) || !float.IsFinite(row[target]))
            throw new DflareException("The model produced a non-finite output (NaN or infinity); cannot compute a margin.");
        if (kind == OutputKind.Probabilities)
            return Math.Log(Math.Max(row[target], 1e-30)) - Math.Log(Math.Max(other, 1e-30));
        return row[target] - other;
    }
}
