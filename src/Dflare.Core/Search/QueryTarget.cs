namespace Dflare.Search;

/// <summary>Which model(s) an image proposed by a search is sent to; each model an image goes to is one query.</summary>
public enum QueryTarget
{
    /// <summary>Both models (2 queries); what DFlare and DiffChaser always do.</summary>
    Both,
    /// <summary>The original model only (1 query).</summary>
    Original,
    /// <summary>The compressed model only (1 query).</summary>
    Compressed,
}

/// <summary>Helpers for <see cref="QueryTarget"/>.</summary>
public static class QueryTargets
{
    /// <summary>True when the image goes to the original model.</summary>
    public static bool HasOriginal(this QueryTarget t) => t != QueryTarget.Compressed;
    /// <summary>True when the image goes to the compressed model.</summary>
    public static bool HasCompressed(this QueryTarget t) => t != QueryTarget.Original;
}
