namespace Dflare.Search.Mutation;

/// <summary>
/// The built-in mutation operators and the parser of operator lists such as
/// <c>gaussian-noise,salt-pepper:amount=0.01,box-blur:max-kernel=3,gaussian-blur:kernels=3|5</c>
/// (operators separated by commas, each optionally followed by <c>:key=value</c> parameters; list values separated by <c>|</c>).
/// </summary>
public static class MutationOperators
{
    /// <summary>The names of the built-in operators, in their default order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["gaussian-noise", "salt-pepper", "multiplicative-noise", "pixel-change", "box-blur", "gaussian-blur", "median-blur"];

    /// <summary>The default DFlare operator set: all seven built-ins with their default parameters.</summary>
    public static IReadOnlyList<IMutationOperator> Default() =>
    [
        new GaussianNoise(), new SaltPepper(), new MultiplicativeNoise(), new PixelChange(),
        new BoxBlur(), new GaussianBlur(), new MedianBlur(),
    ];

    /// <summary>The spec of a set of operators (comma-separated <see cref="IMutationOperator.Spec"/>), which <see cref="Parse"/> reads back.</summary>
    public static string Spec(IEnumerable<IMutationOperator> operators) => string.Join(",", operators.Select(o => o.Spec));

    /// <summary>Parses an operator list; an empty or null text gives <see cref="Default"/>.</summary>
    /// <exception cref="DflareException">An operator is unknown, repeated, or has an unknown or invalid parameter.</exception>
    public static IReadOnlyList<IMutationOperator> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Default();
        var result = new List<IMutationOperator>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':', StringSplitOptions.TrimEntries);
            var name = parts[0].ToLowerInvariant();
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in parts.Skip(1))
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0) throw new DflareException($"Mutation operator '{name}': parameter '{kv}' is not key=value.");
                var key = kv[..eq].Trim().ToLowerInvariant();
                if (!values.TryAdd(key, kv[(eq + 1)..].Trim()))
                    throw new DflareException($"Mutation operator '{name}': parameter '{key}' is given twice.");
            }
            var p = new OperatorParameters(name, values);
            IMutationOperator op = name switch
            {
                "gaussian-noise" => GaussianNoise.From(p),
                "salt-pepper" => SaltPepper.From(p),
                "multiplicative-noise" => MultiplicativeNoise.From(p),
                "pixel-change" => PixelChange.From(p),
                "box-blur" => BoxBlur.From(p),
                "gaussian-blur" => GaussianBlur.From(p),
                "median-blur" => MedianBlur.From(p),
                _ => throw new DflareException($"Unknown mutation operator '{parts[0]}'; the operators are: {string.Join(", ", Names)}."),
            };
            if (result.Any(o => o.Name == op.Name)) throw new DflareException($"Mutation operator '{op.Name}' is listed twice.");
            result.Add(op);
        }
        if (result.Count == 0) throw new DflareException("The operator list is empty.");
        return result;
    }
}
