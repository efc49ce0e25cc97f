namespace Dflare.Cli.Commands;

/// <summary>
/// The command line's names for the settings Core's messages name (<see cref="SettingException.Settings"/>): Core
/// says <c>Budget must be …</c>, the tool says <c>--budget must be …</c>. A setting without a flag keeps its name.
/// </summary>
internal static class SettingFlags
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["Budget"] = "--budget",
        ["TimeLimit"] = "--time-limit",
        ["Operators"] = "--operators",
        ["MinMargin"] = "--min-margin",
        ["LockStep"] = "--lock-step",
        ["Threads"] = "--threads",
        ["ShrinkFraction"] = "--shrink",
        ["MaxLInf"] = "--max-linf",
        ["MinSsim"] = "--min-ssim",
        ["Square.PInit"] = "--p-init",
        ["Square.Objective"] = "--objective",
        ["Square.Toward"] = "--toward",
        ["DiffChaser.Population"] = "--dc-population",
        ["DiffChaser.MutationRate"] = "--dc-mutation-rate",
        ["DiffChaser.MutationStep"] = "--dc-mutation-step",
        ["DiffChaser.CrossoverRate"] = "--dc-crossover-rate",
        ["DiffChaser.TournamentSize"] = "--dc-tournament",
        ["DiffChaser.UncertaintyWeight"] = "--dc-uncertainty-weight",
        ["Offset"] = "--offset",
        ["Limit"] = "--limit",
        ["MaxDeviationRate"] = "--max-deviation-rate",
        ["AllowedDeviations"] = "--allowed-deviations",
        ["Shard"] = "--shard",
        ["BitsPerLayer"] = "--bits-per-layer",
        ["Calibration"] = "--calibration",
        ["CalibrationLimit"] = "--limit",
        ["seedSource"] = "--seeds",
        ["SearchJournal.Resume"] = "--resume",
        ["Scale"] = "--scale",
        ["Mean"] = "--mean",
        ["Std"] = "--std",
        ["Layout"] = "--layout",
        ["Resize"] = "--resize",
        ["Attack"] = "--attack",
    };

    /// <summary>The flag for <paramref name="setting"/>, or null when the command line has none.</summary>
    public static string? Flag(string setting) => Flags.GetValueOrDefault(setting);

    /// <summary><paramref name="e"/>'s message with every setting it names called by its flag.</summary>
    public static string Describe(SettingException e) => e.Rename(Flag);
}
