using System.CommandLine;

namespace Dflare.Cli.Commands;

/// <summary><c>dflare demo</c>: a deviation search on the project's own demo model pair.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var cmd = new Command("demo", "Run a deviation search on the built-in demo pair (a Fashion-MNIST CNN and its compressed copy).");
        cmd.SetAction(_ =>
        {
            Console.Out.WriteLine("dflare demo is not available yet in this build.");
            Console.Out.WriteLine("When it is, it will run a DFlare deviation search on the built-in Fashion-MNIST model pair and write the");
            Console.Out.WriteLine("triggering inputs and results.json to ./dflare-demo. Nothing was run.");
            return 0;
        });
        return cmd;
    }
}
