using Dflare.Check;
using Dflare.Models;
using Dflare.Xunit.Execution;
using Xunit.Sdk;
using Xunit.v3;

namespace Dflare.Xunit.Tests;

/// <summary>
/// A Dflare case carries its plan (resolved at discovery, serialised with the case) and runs from it alone: the
/// attribute is not read again, and the run-wide settings are applied when it runs.
/// </summary>
public sealed class CasePlanTests
{
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    // Every property away from its default, so a value the plan forgot to carry shows.
    private static DeviationSearchAttribute Attribute() => new(Demo("fashion-lenet.onnx"), Demo("fashion-lenet.int8.onnx"), 24)
    {
        Seeds = Demo("seeds"), Offset = 1, Limit = 2, RunSeed = 7, Strategy = "dflare", MinMargin = 0.05, MaxLInf = 24,
        MinSsim = 0.2, MaxDeviationRate = 0.5, FailOnFixed = true, AllowedDeviations = 1, TimeLimitSeconds = 60,
        Mean = "0.5", Std = "0.5", Layout = "nchw", OutputKind = "logits",
    };

    /// <summary>A method without any Dflare attribute: a case built on it can only run from what it carries.</summary>
    internal static void NoAttribute(DeviationOutcome outcome) => _ = outcome;

    private static System.Reflection.MethodInfo NoAttributeMethod =>
        typeof(CasePlanTests).GetMethod(nameof(NoAttribute), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    private static XunitTestMethod MethodWithoutAttribute()
    {
        var assembly = new XunitTestAssembly(typeof(CasePlanTests).Assembly, null, null, null, null, null, null);
        var collection = new XunitTestCollection(assembly, null, false, "plans", null);
        var testClass = new XunitTestClass(typeof(CasePlanTests), collection, null);
        return new XunitTestMethod(testClass, NoAttributeMethod, [], null);
    }

    [Fact]
    public void A_deviation_case_carries_its_whole_plan_through_xunit_serialisation()
    {
        var attr = Attribute();
        var plan = DeviationCasePlan.Create(attr, typeof(CasePlanTests), NoAttributeMethod);
        var testCase = new DeviationTestCase(plan, 3, "fmnist-test-00003", null, MethodWithoutAttribute(), "plan case", "plan-case-id", false,
            null, null, null, null, null, null, null, null, null);

        var copy = SerializationHelper.Instance.Deserialize<DeviationTestCase>(SerializationHelper.Instance.Serialize(testCase))!;

        copy.Plan.ToJson().Should().Be(plan.ToJson());
        copy.SeedPosition.Should().Be(3);
        copy.SeedId.Should().Be("fmnist-test-00003");
        var c = copy.Plan.Check!;
        (c.Original, c.Compressed, c.Seeds).Should().Be((Demo("fashion-lenet.onnx"), Demo("fashion-lenet.int8.onnx"), Demo("seeds")));
        ((long)c.Budget).Should().Be(24);
        (c.Offset, c.Limit, c.RunSeed, c.Strategy).Should().Be((1, (int?)2, 7UL, "dflare"));
        (c.MinMargin, c.MaxLInf, c.MinSsim, c.TimeLimit).Should().Be((0.05, (int?)24, (double?)0.2, (TimeSpan?)TimeSpan.FromSeconds(60)));
        c.Policy.Should().Be(new CheckPolicy(1, 0.5, true));
        c.ModelOptions.Mean.Should().Equal(0.5);
        c.ModelOptions.Std.Should().Equal(0.5);
        (c.ModelOptions.Layout, c.ModelOptions.OutputKind).Should().Be((TensorLayout.Nchw, OutputKind.Logits));
        c.SnapshotName.Should().Be("CasePlanTests.NoAttribute");
        c.SnapshotDirectory.Should().EndWith("Snapshots");
        (copy.Plan.Original, copy.Plan.Compressed, copy.Plan.Seeds).Should().Be((attr.Original, attr.Compressed, attr.Seeds));
    }

    [Fact]
    public void The_case_runs_the_same_check_from_its_deserialised_plan()
    {
        var plan = DeviationCasePlan.Create(Attribute(), typeof(CasePlanTests), NoAttributeMethod);
        var copy = DeviationCasePlan.FromJson(plan.ToJson());
        var settings = new DflareTestSettings { SanityCheck = false };
        CheckVerdict Run(DeviationCasePlan p)
        {
            var check = p.ForRun(settings, -1) with { SnapshotDirectory = null };
            return DeviationCheck.Run(check, ModelPair.Load(check.Original, check.Compressed, check.ModelOptions), CancellationToken.None);
        }
        var a = Run(plan);
        var b = Run(copy);
        a.Findings.Should().HaveCount(2);
        b.Findings.Select(f => (f.SeedId, f.State, f.Queries)).Should().Equal(a.Findings.Select(f => (f.SeedId, f.State, f.Queries)));
    }

    [Fact]
    public void Run_wide_settings_replace_the_attribute_values_when_the_case_runs()
    {
        var plan = DeviationCasePlan.Create(Attribute(), typeof(CasePlanTests), NoAttributeMethod);

        var own = plan.ForRun(new DflareTestSettings(), 4);
        own.Should().BeEquivalentTo(plan.Check! with { SeedPosition = 4 }, o => o.Excluding(x => x.Accept));

        var over = plan.ForRun(new DflareTestSettings
        {
            Budget = 50, RunSeed = 9, Strategy = "square", MinMargin = 0, MaxLInf = 0, MinSsim = 0, MaxDeviationRate = 0.1,
            FailOnFixed = false, Shard = (1, 2), FailOnDeviation = false, SanityCheck = false, AcceptSnapshots = true,
        }, -1);
        ((long)over.Budget).Should().Be(50);
        (over.RunSeed, over.Strategy, over.MinMargin, over.MaxLInf, over.MinSsim).Should().Be((9UL, "square", 0.0, (int?)null, (double?)null));
        over.Policy.Should().Be(new CheckPolicy(1, 0.1, false));
        over.Shard.Should().Be((1, 2));
        (over.SeedPosition, over.FailOnDeviation, over.SanityCheck, over.Accept).Should().Be(((int?)null, false, false, true));
        (over.Original, over.Offset, over.Limit).Should().Be((plan.Check!.Original, 1, (int?)2));
    }

    [Fact]
    public void A_robustness_case_is_checked_at_discovery_and_carries_its_settings()
    {
        var attr = new QuanosRobustnessAttribute(0.02)
        {
            Model = Demo("fashion-lenet.int8.onnx"), Original = Demo("fashion-lenet.onnx"), Seeds = Demo("seeds"), Limit = 3, Offset = 1,
            Attack = "all", Epsilon = 0.05, Grid = 7, Queries = 40, PInit = 0.2, FlipSteps = 2, Gradient = "spsa", Samples = 8,
            RunSeed = 5, Tolerance = 0.01, Mean = "0.5", Std = "0.5",
        };
        var plan = RobustnessCasePlan.Create(attr);
        var copy = RobustnessCasePlan.FromJson(plan.ToJson());
        copy.ToJson().Should().Be(plan.ToJson());
        var s = copy.Check!;
        s.Attacks.Should().Equal("square", "fgsm");
        (s.Model, s.Original, s.Seeds, s.Offset, s.Limit).Should().Be((Demo("fashion-lenet.int8.onnx"), Demo("fashion-lenet.onnx"), Demo("seeds"), 1, 3));
        (s.Scan.Epsilon, s.Scan.MaxEpsilon, s.Scan.Grid).Should().Be((0.05, (double?)0.2, 7));
        (s.Queries, s.PInit, s.FlipSteps, s.Gradient, s.Samples, s.RunSeed, s.Tolerance, s.MinEpsilon).Should().Be((40, 0.2, 2, "spsa", 8, 5L, 0.01, 0.02));
        s.ModelOptions.Mean.Should().Equal(0.5);
        var check = s.CreateCheck();
        check.Attacks.Select(x => x.Name).Should().Equal("square", "spsa-fgsm");
        (check.ProbeSeed, check.Epsilon).Should().Be((5UL, 0.05));

        // Wrong words are found at discovery, with the value named.
        FluentActions.Invoking(() => RobustnessCasePlan.Create(new QuanosRobustnessAttribute(0.02) { Model = attr.Model, Seeds = attr.Seeds, Attack = "pgd" }))
            .Should().Throw<DflareException>().WithMessage("Unknown attack 'pgd' in Attack; use square, fgsm or all (comma-separated).");
        FluentActions.Invoking(() => RobustnessCasePlan.Create(new QuanosRobustnessAttribute(0.3) { Model = attr.Model, Seeds = attr.Seeds, MaxEpsilon = 0.2 }))
            .Should().Throw<DflareException>().WithMessage("MaxEpsilon 0.2 is below the required MinEpsilon 0.3*");
    }
}
