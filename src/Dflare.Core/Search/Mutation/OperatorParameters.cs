using System.Globalization;

namespace Dflare.Search.Mutation;

/// <summary>The <c>key=value</c> parameters of one operator spec; reports unknown keys and bad values by name.</summary>
internal sealed class OperatorParameters
{
    private readonly string _op;
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public OperatorParameters(string op, Dictionary<string, string> values)
    {
        _op = op;
        _values = values;
    }

    public double Double(string key, double dflt)
    {
        if (!_values.TryGetValue(key, out var text)) return dflt;
        _used.Add(key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new DflareException($"Mutation operator '{_op}': parameter '{key}' = '{text}' is not a number.");
        return v;
    }

    public string Text(string key, string dflt)
    {
        if (!_values.TryGetValue(key, out var text)) return dflt;
        _used.Add(key);
        return text;
    }

    public int Int(string key, int dflt)
    {
        if (!_values.TryGetValue(key, out var text)) return dflt;
        _used.Add(key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new DflareException($"Mutation operator '{_op}': parameter '{key}' = '{text}' is not an integer.");
        return v;
    }

    public int[] Ints(string key, int[] dflt)
    {
        if (!_values.TryGetValue(key, out var text)) return dflt;
        _used.Add(key);
        var parts = text.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new DflareException($"Mutation operator '{_op}': parameter '{key}' has no values (use e.g. {key}=1|3|5).");
        return parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new DflareException($"Mutation operator '{_op}': parameter '{key}' value '{p}' is not an integer.")).ToArray();
    }

    public void EnsureAllUsed(IEnumerable<string> known)
    {
        foreach (var k in _values.Keys)
            if (!_used.Contains(k))
                throw new DflareException($"Mutation operator '{_op}' has no parameter '{k}'; its parameters are: {string.Join(", ", known)}.");
    }

    public static DflareException Invalid(string op, string message) => new($"Mutation operator '{op}': {message}.");
}
