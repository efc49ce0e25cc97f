using Xunit.v3;

namespace Dflare.Xunit.Execution;

/// <summary>Traits every Dflare case carries: <c>Category=ModelRegression</c> plus the method's and class's own.</summary>
internal static class CaseTraits
{
    public static Dictionary<string, HashSet<string>> For(IXunitTestMethod method)
    {
        var t = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in method.Traits) t[kv.Key] = new HashSet<string>(kv.Value, StringComparer.OrdinalIgnoreCase);
        if (!t.TryGetValue("Category", out var cat)) t["Category"] = cat = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        cat.Add("ModelRegression");
        return t;
    }
}
