using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Models;

/// <summary>
/// ONNX Runtime sessions are expensive to create; this cache creates one per model file (full path, size and
/// write time) and thread count, and shares it for the life of the process.
/// </summary>
public sealed class SessionCache
{
    private readonly ConcurrentDictionary<string, Lazy<InferenceSession>> _sessions = new();

    /// <summary>The process-wide cache.</summary>
    public static SessionCache Shared { get; } = new();

    /// <summary>Number of sessions created so far.</summary>
    public int Count => _sessions.Count;

    /// <summary>Returns the shared session for <paramref name="path"/>, creating it on first use.</summary>
    /// <exception cref="DflareException">The file is missing or not a valid ONNX model.</exception>
    public InferenceSession Get(string path, int? intraOpThreads = null)
    {
        var full = Path.GetFullPath(path);
        var fi = new FileInfo(full);
        if (!fi.Exists) throw new DflareException($"Model file '{path}' does not exist.");
        var key = $"{full}|{fi.Length}|{fi.LastWriteTimeUtc.Ticks}|{intraOpThreads}";
        var lazy = _sessions.GetOrAdd(key, _ => new Lazy<InferenceSession>(() => CreateSession(full, intraOpThreads)));
        try { return lazy.Value; }
        catch { _sessions.TryRemove(key, out _); throw; }
    }

    /// <summary>Creates a session from a file, turning ONNX Runtime's load errors into a clear message.</summary>
    /// <exception cref="DflareException">The file is missing or not a valid ONNX model.</exception>
    public static InferenceSession CreateSession(string path, int? intraOpThreads = null)
    {
        if (!File.Exists(path)) throw new DflareException($"Model file '{path}' does not exist.");
        if (new FileInfo(path).Length == 0) throw new DflareException($"Model file '{path}' is empty.");
        using var options = Options(intraOpThreads);
        try { return new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) { throw LoadError(path, e); }
    }

    /// <summary>Creates a session from model bytes; <paramref name="name"/> is used in error messages.</summary>
    /// <param name="model">The serialized model.</param>
    /// <param name="name">Display name for error messages.</param>
    /// <param name="intraOpThreads">Threads inside one run (default: ORT's choice).</param>
    /// <param name="disableOptimizations">Run the graph as written (<c>ORT_DISABLE_ALL</c>): no fusion, so every
    /// intermediate tensor is computed the way the graph says, as ONNX Runtime's own layer-debugging tool runs.</param>
    /// <exception cref="DflareException">The bytes are not a valid ONNX model.</exception>
    public static InferenceSession CreateSession(byte[] model, string name, int? intraOpThreads = null, bool disableOptimizations = false)
    {
        if (model.Length == 0) throw new DflareException($"Model '{name}' is empty.");
        using var options = Options(intraOpThreads);
        if (disableOptimizations) options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        try { return new InferenceSession(model, options); }
        catch (OnnxRuntimeException e) { throw LoadError(name, e); }
    }

    private static SessionOptions Options(int? intraOpThreads)
    {
        var o = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        // Intra-op worker threads sleep when a run ends instead of spinning: between runs the search mutates images
        // on the same cores, and spinning workers would take that time away (it does not change any output).
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (intraOpThreads is { } t and > 0) o.IntraOpNumThreads = t;
        return o;
    }

    private static DflareException LoadError(string path, OnnxRuntimeException e)
    {
        var msg = e.Message;
        var why = msg.Contains("Protobuf parsing failed", StringComparison.OrdinalIgnoreCase) || msg.Contains("InvalidProtobuf", StringComparison.OrdinalIgnoreCase)
            ? "the file is not a valid ONNX model (truncated, corrupt, or another format)"
            : "ONNX Runtime cannot load it";
        return new DflareException($"Model file '{path}': {why}. ONNX Runtime said: {msg.Trim()}", e);
    }
}
