using System.Text.Json.Serialization;

namespace Dflare.Check;

/// <summary>
/// What the deviation check concluded for one seed. The same words appear on the console, in the test message, in
/// <c>summary.md</c>, <c>junit.xml</c> and <c>report.html</c> (see <see cref="SeedStates.Word"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<SeedState>))]
public enum SeedState
{
    /// <summary>No meaningful deviation was found and none is accepted.</summary>
    Clean,
    /// <summary>The accepted triggering input still deviates with the accepted labels (replayed; not searched again).</summary>
    Known,
    /// <summary>A meaningful deviation was found and none is accepted for the seed: received files written.</summary>
    New,
    /// <summary>The accepted triggering input now deviates with other labels.</summary>
    Changed,
    /// <summary>The accepted triggering input no longer deviates (meaningfully) and the search found nothing new.</summary>
    Fixed,
    /// <summary>The seed could not be checked (an unreadable snapshot, a folder that cannot be written, ...).</summary>
    Error,
}

/// <summary>The words of <see cref="SeedState"/>.</summary>
public static class SeedStates
{
    /// <summary>The lower-case word used everywhere: <c>clean</c>, <c>known</c>, <c>new</c>, <c>changed</c>, <c>fixed</c>, <c>error</c>.</summary>
    public static string Word(this SeedState state) => state switch
    {
        SeedState.Clean => "clean",
        SeedState.Known => "known",
        SeedState.New => "new",
        SeedState.Changed => "changed",
        SeedState.Fixed => "fixed",
        SeedState.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>True for the states whose input deviates now (known, new, changed).</summary>
    public static bool Deviates(this SeedState state) => state is SeedState.Known or SeedState.New or SeedState.Changed;

    /// <summary>True for the deviating states not accepted yet (new, changed): the ones a reviewer accepts or fixes.</summary>
    public static bool IsUnaccepted(this SeedState state) => state is SeedState.New or SeedState.Changed;
}
