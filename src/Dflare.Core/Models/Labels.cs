namespace Dflare.Models;

/// <summary>Helpers for reading predictions.</summary>
public static class Labels
{
    /// <summary>Index of the largest value (the lowest index on an exact tie).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>True when two or more classes share the largest value exactly (quantized models do this).</summary>
    public static bool HasTopTie(ReadOnlySpan<float> values)
    {
        int best = ArgMax(values);
        for (int i = 0; i < values.Length; i++) if (i != best && values[i] == values[best]) return true;
        return false;
    }

    /// <summary>The largest value minus the second largest.</summary>
    public static float TopMargin(ReadOnlySpan<float> values)
    {
        float a = float.NegativeInfinity, b = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (v > a) { b = a; a = v; }
            else if (v > b) b = v;
        }
        return a - b;
    }
}
