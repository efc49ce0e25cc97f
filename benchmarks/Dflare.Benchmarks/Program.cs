using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Dflare.Benchmarks.Figures;
using Dflare.Benchmarks.Harness;
using Dflare.Benchmarks.Micro;

namespace Dflare.Benchmarks;

/// <summary>The benchmark harness: one sub-command per figure (see docs/benchmarks.md).</summary>
internal static class Program
{
    private const string Usage = """
        Dflare.Benchmarks: dotnet run -c Release --project benchmarks/Dflare.Benchmarks -- COMMAND [options]

          effectiveness  [--seeds 100] [--budget 2000] [--pairs all|NAME,..] [--strategies all|dflare,..|dflare-reference-no-uint8,..] [--repeats 3] [--threads N] [--run-seed 0] [--out DIR] [--render-only]
          dc-grid        [--datasets cifar10,mnist,fashion-demo] [--seeds 20] [--budget 2000] [--populations 4,10] [--rates 0.03,0.1] [--steps 32,64]
          bounds         [--pairs resnet8-real,demo,cnn-pytorch-bits4] [--seeds 50] [--budget 2000] [--linf 16,32,64] [--strategies dflare,diffchaser,square]
                         [--objectives boundary,confident] [--margin 0.1] [--shrink 0.1] [--unbounded] [--start-from-seed]
          reach          [--from benchmarks/results/bounds-all/bounds.json] [--pairs all|NAME,..] [--linf 8,16,32] [--strategies all|square,dflare,diffchaser]
                         [--budget 20000] [--attempts original,compressed,original-from-seed] [--max-seeds N] [--out benchmarks/results/reach] [--render-only]
          ceiling        [--models demo,demo-int8,mnist-8,cnn-pytorch,resnet8,resnet8-int8,squeezenet|MODEL@METHOD] [--repeats 5]
          throughput     [--pairs resnet8-real,demo,cnn-pytorch-int8,mnist-8-int8,squeezenet-int8] [--seeds 128] [--one-chain-seeds 4] [--budget 200] [--repeats 3] [--lock-step 64] [--intra-op N]
          cost-curve     [--sizes 100,1000,10000] [--budget 100] [--pair cnn-pytorch-int8] [--repeats 1] [--leak-batches 2000]
          cli-memory     [--sizes 200,2000] [--budget 100] [--pair cnn-pytorch-int8] [--cli src/Dflare.Cli/bin/Release/net10.0/dflare.dll]
          micro          [BenchmarkDotNet options, e.g. --filter *Operator*]
          smoke          [--seeds 3] [--budget 200] [--out DIR]
          curves         --inputs results.json|LABEL=results.json|effectiveness.json,.. --png FILE [--pairs NAME,..] [--strategies NAME,..] [--rename FROM=TO,.. (empty TO: leave out)] [--max-queries N] [--log-x] [--title T]
          pairs          list the pairs

        Results go to benchmarks/results (NAME.json + NAME.md) unless --out is given. Shared models and data are read from
        ../shared (or $DFLARE_SHARED); compressed variants are made once into benchmarks/.cache (or $DFLARE_BENCH_CACHE).
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        var rest = new Args(args.Skip(1).Where(_ => args[0] != "micro"));
        try
        {
            return args[0] switch
            {
                Effectiveness.Name => Effectiveness.Run(rest),
                DcGrid.Name => DcGrid.Run(rest),
                Bounds.Name => Bounds.Run(rest),
                Ceiling.Name => Ceiling.Run(rest),
                Reach.Name => Reach.Run(rest),
                Throughput.Name => Throughput.Run(rest),
                CostCurve.Name => CostCurve.Run(rest),
                "cost-curve-one" => CostCurve.RunOne(rest),
                CliMemory.Name => CliMemory.Run(rest),
                Smoke.Name => Smoke.Run(rest),
                Curves.Name => Curves.Run(rest),
                "micro" => Micro(args.Skip(1).ToArray()),
                "pairs" => ListPairs(),
                _ => Fail($"unknown command '{args[0]}'"),
            };
        }
        catch (MissingDataException e) { Console.Error.WriteLine($"error: {e.Message}"); return 3; }
        catch (ArgumentException e) { return Fail(e.Message); }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}\n\n{Usage}");
        return 2;
    }

    private static int ListPairs()
    {
        var c = new Catalog();
        foreach (var p in c.Pairs) Console.WriteLine($"{p.Name,-26} {p.Describe()}");
        return 0;
    }

    /// <summary>BenchmarkDotNet with a short in-process job (3 warm-ups, 10 iterations) so the whole set finishes in minutes.</summary>
    private static int Micro(string[] args)
    {
        var job = Job.ShortRun.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .WithArtifactsPath(Path.Combine(BenchPaths.Results, "micro"))
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromTypes([typeof(OperatorBenchmarks), typeof(FitnessBenchmarks), typeof(NoveltyBenchmarks), typeof(PreprocessingBenchmarks)])
            .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
