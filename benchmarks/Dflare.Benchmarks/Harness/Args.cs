using System.Globalization;

namespace Dflare.Benchmarks.Harness;

/// <summary>Minimal <c>--key value</c> options of a sub-command.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public Args(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{list[i]}'");
            var key = list[i][2..];
            var value = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : "true";
            _values[key] = value;
        }
    }

    public string? Str(string key) { _used.Add(key); return _values.GetValueOrDefault(key); }
    public string Str(string key, string dflt) => Str(key) ?? dflt;
    public int Int(string key, int dflt) => Str(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
    public long Long(string key, long dflt) => Str(key) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : dflt;
    public bool Flag(string key) => Str(key) is { } v && v != "false";
    public double Double(string key, double dflt) => Str(key) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : dflt;
    public IReadOnlyList<string> List(string key, string dflt) =>
        Str(key, dflt).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    public IReadOnlyList<int> Ints(string key, string dflt) => List(key, dflt).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Throws when an option was given that the command never read (a typo).</summary>
    public void CheckAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
    }
}
