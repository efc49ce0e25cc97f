using Dflare.Images;

namespace Dflare.Search;

/// <summary>
/// A mutant a strategy proposes: its number among the seed's generated mutants, what made it (<typeparamref name="TTag"/>,
/// e.g. DFlare's operator), and both models' answers once it was evaluated ahead of time (<see cref="Speculation{TState, TTag}"/>).
/// </summary>
internal sealed class Candidate<TTag>(int number, TTag tag, Image image)
{
    public int Number { get; } = number;
    public TTag Tag { get; } = tag;
    public Image Image { get; } = image;
    public float[]? Original { get; set; }
    public float[]? Compressed { get; set; }

    /// <summary>Both answers, when the candidate was evaluated ahead of time.</summary>
    public (IReadOnlyList<float[]> Original, IReadOnlyList<float[]> Compressed)? Answers =>
        Original is { } o && Compressed is { } c ? ([o], [c]) : null;
}

/// <summary>
/// The plumbing of <see cref="SeedSearch.Speculate"/> for a strategy that proposes one mutant at a time, drawn from a
/// state it can copy (<typeparamref name="TState"/>: its generator, operator statistics, mutant counter): the mutants
/// that follow if every evaluated one is rejected, in order, drawn on a copy of that state. They stay valid until the
/// strategy accepts a mutant (<see cref="Clear"/>); the real search takes them by number (<see cref="Take"/>) instead
/// of making them again, and uses their answers when they have some.
/// </summary>
internal sealed class Speculation<TState, TTag> where TState : class
{
    private readonly List<Candidate<TTag>> _ahead = [];
    private readonly List<Candidate<TTag>> _awaiting = [];
    private TState? _state;
    private bool _gaveUp;

    /// <summary>
    /// Draws up to <paramref name="max"/> more mutants with <paramref name="draw"/> (null: the strategy would give up),
    /// at most <paramref name="depth"/> ahead of the pending proposal in all. With nothing ahead, the real search may
    /// have moved on, so drawing starts again from a copy of its state (<paramref name="copyOfSearch"/>).
    /// </summary>
    public IReadOnlyList<Image> Extend(int max, int depth, Func<TState> copyOfSearch, Func<TState, Candidate<TTag>?> draw)
    {
        // The speculative run gave up and nothing was accepted since: the real search gives up at the same point.
        if (_gaveUp) return [];
        if (_ahead.Count == 0 || _state is null)
        {
            _state = copyOfSearch();
            _gaveUp = false;
        }
        var made = new List<Candidate<TTag>>();
        while (made.Count < max && _ahead.Count < depth)
        {
            var next = draw(_state);
            if (next is null) { _gaveUp = true; break; }
            _ahead.Add(next);
            made.Add(next);
        }
        _awaiting.AddRange(made);
        return made.Select(s => s.Image).ToArray();
    }

    /// <summary>Stores both models' answers for the mutants of the last <see cref="Extend"/>, in order.</summary>
    /// <exception cref="InvalidOperationException">The counts do not match.</exception>
    public void Store(string seedId, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        if (original.Count != _awaiting.Count) throw new InvalidOperationException($"Seed {seedId}: {_awaiting.Count} images speculated but {original.Count} answers given.");
        for (int i = 0; i < _awaiting.Count; i++) { _awaiting[i].Original = original[i]; _awaiting[i].Compressed = compressed[i]; }
        _awaiting.Clear();
    }

    /// <summary>The speculated mutant with this number and tag, taken off the list, or null.</summary>
    public Candidate<TTag>? Take(int number, TTag tag)
    {
        while (_ahead.Count > 0 && _ahead[0].Number < number) _ahead.RemoveAt(0);
        if (_ahead.Count == 0 || _ahead[0].Number != number) return null;
        var s = _ahead[0];
        _ahead.RemoveAt(0);
        if (EqualityComparer<TTag>.Default.Equals(s.Tag, tag)) return s;
        Clear(); // cannot happen while the speculation is valid; make it again to stay exact
        return null;
    }

    /// <summary>Drops what was speculated (the strategy accepted a mutant: what followed no longer does).</summary>
    public void Clear()
    {
        _ahead.Clear();
        _state = null;
        _gaveUp = false;
    }
}
