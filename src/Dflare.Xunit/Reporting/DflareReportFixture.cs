namespace Dflare.Xunit.Reporting;

/// <summary>
/// An xUnit v3 assembly fixture that writes the Dflare report when the test assembly has finished: its
/// <see cref="DisposeAsync"/> runs after every test. The Dflare.Testing package's MSBuild targets register it with a
/// generated <c>[assembly: AssemblyFixture(typeof(DflareReportFixture))]</c>; without it the report is written at
/// process exit.
/// </summary>
public sealed class DflareReportFixture : IAsyncDisposable
{
    /// <summary>Writes the report of every test assembly in the process that recorded something.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var files in DflareRun.CompleteAll())
            Console.Out.WriteLine($"Dflare report: {files.Html}");
        return ValueTask.CompletedTask;
    }
}
