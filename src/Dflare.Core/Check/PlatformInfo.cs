using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Check;

/// <summary>What an accepted triggering input records about the machine: int8 kernels differ by ONNX Runtime version and CPU.</summary>
public static class PlatformInfo
{
    private static readonly Lazy<string> Ort = new(() =>
    {
        try { return OrtEnv.Instance().GetVersionString(); }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException) { return "unknown"; }
    });

    /// <summary>The ONNX Runtime version, e.g. <c>1.23.2</c>.</summary>
    public static string OrtVersion => Ort.Value;

    /// <summary>The CPU architecture and the instruction sets that change int8 kernels, e.g. <c>X64 avx2 fma avx512f avxvnni</c>.</summary>
    public static string CpuFeatures { get; } = string.Join(' ', new[]
    {
        RuntimeInformation.ProcessArchitecture.ToString(),
        Avx2.IsSupported ? "avx2" : null,
        Fma.IsSupported ? "fma" : null,
        Avx512F.IsSupported ? "avx512f" : null,
        Avx512BW.IsSupported ? "avx512bw" : null,
        AvxVnni.IsSupported ? "avxvnni" : null,
        System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "neon" : null,
        System.Runtime.Intrinsics.Arm.Dp.IsSupported ? "dotprod" : null,
    }.Where(x => x is not null));
}
