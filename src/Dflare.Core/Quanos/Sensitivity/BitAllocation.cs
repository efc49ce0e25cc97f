using System.Globalization;

namespace Dflare.Quanos.Sensitivity;

/// <summary>
/// How far a candidate bit assignment is from the float model on the seeds' clean images: top-1 disagreements, and
/// the mean relative output error <c>‖z_q − z_f‖₂ / ‖z_f‖₂</c> of the raw output rows (a continuous tie-breaker).
/// </summary>
/// <param name="Disagreements">Seeds whose top-1 class differs from the float model's.</param>
/// <param name="RelativeError">Mean over seeds of the relative L2 error of the output row.</param>
public readonly record struct Fidelity(int Disagreements, double RelativeError) : IComparable<Fidelity>
{
    /// <summary>Orders by disagreements, then by relative error (larger is worse).</summary>
    public int CompareTo(Fidelity other)
    {
        int c = Disagreements.CompareTo(other.Disagreements);
        return c != 0 ? c : RelativeError.CompareTo(other.RelativeError);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Disagreements} disagreements, relative error {RelativeError:G4}");
}

/// <summary>One step of the accuracy-constrained allocation: a layer got one more bit.</summary>
/// <param name="Layer">The layer raised.</param>
/// <param name="Bits">Its new bit width.</param>
/// <param name="Isolated">Its cost before the step (only this layer quantized, at its old width; the rest float) — why it was chosen.</param>
/// <param name="Result">The fidelity of the whole assignment after the step.</param>
public sealed record ConstraintStep(string Layer, int Bits, Fidelity Isolated, Fidelity Result);

/// <summary>The result of <see cref="BitAllocation.Constrain"/>.</summary>
public sealed record ConstrainedAllocation
{
    /// <summary>The start: the pure ANS rule's bits.</summary>
    public required IReadOnlyDictionary<string, int> Start { get; init; }
    /// <summary>The final bits per layer.</summary>
    public required IReadOnlyDictionary<string, int> Bits { get; init; }
    /// <summary>The fidelity of <see cref="Start"/>.</summary>
    public required Fidelity StartFidelity { get; init; }
    /// <summary>The fidelity of <see cref="Bits"/>.</summary>
    public required Fidelity Fidelity { get; init; }
    /// <summary>Disagreements allowed: <c>floor(tolerance · seeds)</c>.</summary>
    public required int AllowedDisagreements { get; init; }
    /// <summary>Seeds the agreement was measured on.</summary>
    public required int Seeds { get; init; }
    /// <summary>True when the final bits are within the tolerance (false only when every layer reached k_init and it still is not).</summary>
    public required bool Met { get; init; }
    /// <summary>The steps taken, in order.</summary>
    public required IReadOnlyList<ConstraintStep> Steps { get; init; }
    /// <summary>Candidate models evaluated.</summary>
    public required int Evaluations { get; init; }

    /// <summary>Share of seeds whose top-1 class matches the float model's with <see cref="Bits"/>.</summary>
    public double Agreement => Seeds == 0 ? 1 : 1 - (double)Fidelity.Disagreements / Seeds;
    /// <summary>Share of seeds whose top-1 class matches the float model's with <see cref="Start"/>.</summary>
    public double StartAgreement => Seeds == 0 ? 1 : 1 - (double)StartFidelity.Disagreements / Seeds;
}

/// <summary>
/// The QUANOS bit-width rule and its accuracy-constrained variant.
/// </summary>
/// <remarks>
/// <para>Pure rule: <c>k_l = k_init − round(k_init · ANS_l)</c>, rounding half away from zero, then clamped to
/// [<see cref="MinBits"/>, k_init]. The most sensitive layers (largest ANS) get the fewest bits.</para>
/// <para>Margin: the distance of <c>k_init · ANS_l</c> to the nearest rounding boundary (a half-integer), in [0, 0.5].
/// A layer is <em>fragile</em> when that margin is below a threshold and rounding the other way would change its
/// (clamped) bits: a slightly different seed sample could give it a different width.</para>
/// </remarks>
public static class BitAllocation
{
    /// <summary>The default initial (largest) bit width k_init.</summary>
    public const int DefaultKInit = 16;
    /// <summary>The smallest bit width the rule assigns (the fake-quantization grid needs 2 bits).</summary>
    public const int MinBits = 2;
    /// <summary>The default fragility threshold on the margin (in units of <c>k_init · ANS</c>).</summary>
    public const double DefaultFragileMargin = 0.05;

    /// <summary>Checks k_init is in [<see cref="MinBits"/>, 16].</summary>
    /// <exception cref="DflareException">It is not.</exception>
    public static void ValidateKInit(int kInit)
    {
        if (kInit is < MinBits or > 16)
            throw new DflareException($"k_init must be an integer from {MinBits} to 16 (weights are fake-quantized to 2..16 bits); got {kInit}.");
    }

    /// <summary><c>k_init · ANS</c>, the value that is rounded (capped at 1e6 so huge ANS values stay finite).</summary>
    public static double Scaled(double ans, int kInit) => Math.Min(ans * kInit, 1e6);

    /// <summary>The unclamped rule <c>k_init − round(k_init · ANS)</c> (half away from zero).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ans"/> is negative or not finite.</exception>
    public static int RawBits(double ans, int kInit)
    {
        CheckAns(ans);
        return kInit - (int)Math.Round(Scaled(ans, kInit), MidpointRounding.AwayFromZero);
    }

    /// <summary>The rule's bits clamped to [<see cref="MinBits"/>, k_init].</summary>
    public static int Bits(double ans, int kInit) => Math.Clamp(RawBits(ans, kInit), MinBits, kInit);

    /// <summary>True when the rule's raw value fell outside [<see cref="MinBits"/>, k_init] and was clamped.</summary>
    public static bool Clamped(double ans, int kInit) => RawBits(ans, kInit) is var r && (r < MinBits || r > kInit);

    /// <summary>Distance of <c>k_init · ANS</c> to the nearest rounding boundary (half-integer), in [0, 0.5].</summary>
    public static double Margin(double ans, int kInit)
    {
        CheckAns(ans);
        double v = Scaled(ans, kInit);
        return 0.5 - Math.Abs(v - Math.Round(v, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// True when the margin is below <paramref name="threshold"/> and rounding <c>k_init · ANS</c> to the other side
    /// of that boundary would give different (clamped) bits.
    /// </summary>
    public static bool IsFragile(double ans, int kInit, double threshold = DefaultFragileMargin)
    {
        if (Margin(ans, kInit) >= threshold) return false;
        double v = Scaled(ans, kInit);
        double r = Math.Round(v, MidpointRounding.AwayFromZero);
        double other = v >= r ? r + 1 : r - 1; // the integer on the other side of the nearest boundary
        int alt = Math.Clamp(kInit - (int)other, MinBits, kInit);
        return alt != Bits(ans, kInit);
    }

    private static void CheckAns(double ans)
    {
        if (!(ans >= 0) || !double.IsFinite(ans))
            throw new ArgumentOutOfRangeException(nameof(ans), ans, "ANS must be a finite number ≥ 0.");
    }

    /// <summary>
    /// The accuracy-constrained variant: starting from <paramref name="start"/> (the pure rule), raises bits one at a
    /// time until the candidate disagrees with the float model on at most <c>floor(tolerance · seeds)</c> seeds.
    /// </summary>
    /// <remarks>
    /// Greedy order: every layer below k_init has an <em>isolated cost</em>, the <see cref="Fidelity"/> of the model
    /// with only that layer quantized (at its current bits) and every other layer float. Each step gives one more bit
    /// to the layer with the largest isolated cost (more disagreements first, then larger relative output error;
    /// ties go to the layer with fewer bits, then to the earlier layer), re-measures that layer's isolated cost and
    /// the whole assignment's fidelity. It stops when the tolerance is met or every layer is at k_init.
    /// Evaluations: one per layer to start, then two per step.
    /// </remarks>
    /// <param name="layers">The layer names, in graph order.</param>
    /// <param name="start">The starting bits of every layer.</param>
    /// <param name="kInit">The largest width.</param>
    /// <param name="seeds">Seeds the fidelity is measured on.</param>
    /// <param name="tolerance">Largest allowed share of seeds whose top-1 class differs from the float model's, in [0, 1).</param>
    /// <param name="evaluate">Measures a bit assignment; layers absent from the map stay float.</param>
    /// <param name="progress">Called after each step.</param>
    /// <exception cref="DflareException">The tolerance is out of range or a layer has no start bits.</exception>
    public static ConstrainedAllocation Constrain(IReadOnlyList<string> layers, IReadOnlyDictionary<string, int> start, int kInit, int seeds,
        double tolerance, Func<IReadOnlyDictionary<string, int>, Fidelity> evaluate, Action<ConstraintStep>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(evaluate);
        ValidateKInit(kInit);
        ValidateTolerance(tolerance);
        foreach (var l in layers)
            if (!start.ContainsKey(l)) throw new DflareException($"Layer '{l}' has no starting bit width.");
        int allowed = (int)Math.Floor(tolerance * seeds + 1e-9);
        var bits = layers.ToDictionary(l => l, l => Math.Clamp(start[l], MinBits, kInit), StringComparer.Ordinal);
        int evaluations = 0;
        Fidelity Eval(IReadOnlyDictionary<string, int> b) { evaluations++; return evaluate(b); }

        var startFidelity = Eval(new Dictionary<string, int>(bits, StringComparer.Ordinal));
        var current = startFidelity;
        var cost = new Dictionary<string, Fidelity>(StringComparer.Ordinal);
        var steps = new List<ConstraintStep>();
        if (current.Disagreements > allowed)
            foreach (var l in layers)
                if (bits[l] < kInit) cost[l] = Eval(new Dictionary<string, int>(StringComparer.Ordinal) { [l] = bits[l] });
        while (current.Disagreements > allowed)
        {
            string? pick = null;
            for (int i = 0; i < layers.Count; i++)
            {
                var l = layers[i];
                if (bits[l] >= kInit) continue;
                if (pick is null) { pick = l; continue; }
                int c = cost[l].CompareTo(cost[pick]);
                if (c > 0 || (c == 0 && bits[l] < bits[pick])) pick = l;
            }
            if (pick is null) break; // every layer at k_init
            var why = cost[pick];
            bits[pick]++;
            if (bits[pick] < kInit) cost[pick] = Eval(new Dictionary<string, int>(StringComparer.Ordinal) { [pick] = bits[pick] });
            else cost.Remove(pick);
            current = Eval(new Dictionary<string, int>(bits, StringComparer.Ordinal));
            var step = new ConstraintStep(pick, bits[pick], why, current);
            steps.Add(step);
            progress?.Invoke(step);
        }
        return new ConstrainedAllocation
        {
            Start = layers.ToDictionary(l => l, l => Math.Clamp(start[l], MinBits, kInit), StringComparer.Ordinal),
            Bits = bits, StartFidelity = startFidelity, Fidelity = current, AllowedDisagreements = allowed, Seeds = seeds,
            Met = current.Disagreements <= allowed, Steps = steps, Evaluations = evaluations,
        };
    }

    /// <summary>Checks a fragility margin is in [0, 0.5].</summary>
    /// <exception cref="DflareException">It is not.</exception>
    public static void ValidateFragileMargin(double margin)
    {
        if (!(margin >= 0 && margin <= 0.5))
            throw new DflareException($"The fragility margin must be in [0, 0.5]; got {margin.ToString("G6", CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Checks a tolerance is in [0, 1).</summary>
    /// <exception cref="DflareException">It is not.</exception>
    public static void ValidateTolerance(double tolerance)
    {
        if (!(tolerance >= 0 && tolerance < 1))
            throw new DflareException($"The agreement tolerance must be in [0, 1) (the largest share of seeds allowed to disagree with the float model, e.g. 0.01); got {tolerance.ToString("G6", CultureInfo.InvariantCulture)}.");
    }
}
