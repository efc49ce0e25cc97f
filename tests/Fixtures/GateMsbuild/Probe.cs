using Dflare.Xunit;
using Xunit;

namespace GateMsbuild;

public class Probe
{
    // Writes the settings the assembly carries, for the test outside to read.
    [Fact]
    public void Settings()
    {
        var s = DflareTestSettings.For(typeof(Probe).Assembly);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "settings.txt"), string.Join("\n",
            $"Budget={s.Budget}", $"RunSeed={s.RunSeed}", $"Strategy={s.Strategy}", $"Accept={s.AcceptSnapshots}",
            $"Report={s.ReportDirectory}", $"Fail={s.FailOnDeviation}", $"Shard={s.Shard}", $"ImageBaseUrl={s.ReportImageBaseUrl}",
            $"MinMargin={s.MinMargin}", $"MaxLInf={s.MaxLInf}", $"MinSsim={s.MinSsim}", $"MaxDeviationRate={s.MaxDeviationRate}", $"FailOnFixed={s.FailOnFixed}"));
    }
}
