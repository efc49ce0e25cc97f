using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using Spectre.Console;

namespace Dflare.Cli.Commands;

/// <summary>
/// Runs a command body with the tool's one error style: every failure is a single <c>error: …</c> line (or a few) on
/// stderr, never a stack trace, never a help dump. Exit codes: <see cref="Ok"/>, <see cref="Found"/>,
/// <see cref="BadInput"/>, <see cref="Interrupted"/>.
/// </summary>
internal static partial class CommandRunner
{
    /// <summary>
    /// The command ran and found nothing wrong. Commands that measure or render rather than judge always exit 0 when
    /// they ran: a search that found triggering inputs, robustness, quanos, eval, report.
    /// </summary>
    public const int Ok = 0;
    /// <summary>A command that judges found a problem: <c>check</c> (the pair fails the gate's rule) and <c>merge</c> (the merged run fails).</summary>
    public const int Found = 1;
    /// <summary>Bad input (a file, an option) or an output that cannot be written; nothing was done or the results were kept elsewhere.</summary>
    public const int BadInput = 2;
    /// <summary>Interrupted (Ctrl+C) after writing what had finished.</summary>
    public const int Interrupted = 130;

    public static int Run(Func<int> body)
    {
        PendingNotes.Clear();
        try
        {
            int code = body();
            FlushNotes();
            return code;
        }
        catch (Exception e)
        {
            // Informational notes are dropped on an error: stderr then holds the one error line.
            PendingNotes.Clear();
            Error(Describe(e));
            return BadInput;
        }
    }

    private static readonly List<string> PendingNotes = [];

    /// <summary>
    /// Queues an informational line for stderr (e.g. the value an option was read as). Queued lines are written by
    /// <see cref="FlushNotes"/> once the command's inputs have been checked, and dropped when the command fails, so a
    /// bad input gives one error line and nothing else.
    /// </summary>
    public static void Note(string line) => PendingNotes.Add(line);

    /// <summary>Writes the queued informational lines to stderr.</summary>
    public static void FlushNotes()
    {
        foreach (var line in PendingNotes) Console.Error.WriteLine(line);
        PendingNotes.Clear();
    }

    /// <summary>Writes <c>error: MESSAGE</c> to stderr.</summary>
    public static void Error(string message) =>
        Console.Error.WriteLine($"error: {new string(message.Where(ch => ch is '\n' or '\t' || !char.IsControl(ch)).ToArray())}");

    /// <summary>The message for an exception: ours as they are (the settings they name called by their flags), known system ones made readable, the rest named as a bug.</summary>
    public static string Describe(Exception e) => e switch
    {
        SettingException s => SettingFlags.Describe(s),
        DflareException d => d.Message,
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        ArgumentException a => a.Message,
        OnnxRuntimeException o => $"ONNX Runtime refused the model or its input: {Clean(o.Message)}",
        UnauthorizedAccessException or IOException => $"cannot read or write a file: {Clean(e.Message)}",
        OutOfMemoryException => "out of memory (try a smaller --lock-step, --limit or batch).",
        _ => $"unexpected {e.GetType().Name}: {Clean(e.Message)} (this is a bug in dflare; please report it with the command line).",
    };

    /// <summary>A message without control characters (such as NUL bytes from native code) and on one line.</summary>
    public static string Clean(string message) => ControlChars().Replace(message, " ").Trim();

    [GeneratedRegex(@"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]+|\r?\n\s*")]
    private static partial Regex ControlChars();

    /// <summary>Columns of tables written to a file, a pipe or a CI log (no terminal to ask; <c>COLUMNS</c> overrides).</summary>
    public const int RedirectedWidth = 160;

    /// <summary>
    /// A console for human output that never mixes with JSON on stdout: stderr when <paramref name="json"/>. Output that
    /// goes to a file, a pipe or a CI log is <see cref="RedirectedWidth"/> columns wide, so tables keep one row a line
    /// (the console library would assume 80 and wrap seed ids and layer names).
    /// </summary>
    public static IAnsiConsole HumanConsole(bool json)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(json ? Console.Error : Console.Out) });
        WidenWhenRedirected(console, json ? Console.IsErrorRedirected : Console.IsOutputRedirected);
        return console;
    }

    /// <summary>Makes <paramref name="console"/> <see cref="RedirectedWidth"/> columns wide when it writes to a file, a pipe or a CI log and <c>COLUMNS</c> is not set.</summary>
    public static void WidenWhenRedirected(IAnsiConsole console, bool redirected)
    {
        if (redirected && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("COLUMNS"))) console.Profile.Width = RedirectedWidth;
    }

    /// <summary>
    /// True when progress bars should be drawn: the console is an interactive terminal. Redirected output (a file, a
    /// pipe, CI logs) gets no progress lines, only the results.
    /// </summary>
    public static bool ShowProgress(IAnsiConsole console) =>
        console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    /// <summary>
    /// Runs <paramref name="work"/> with a progress bar of <paramref name="max"/> steps on a terminal, without one
    /// otherwise; <paramref name="work"/> gets a callback taking the steps done and, when drawn, the task to describe.
    /// </summary>
    public static void WithProgress(IAnsiConsole console, string title, double max, Action<Action<double, string?>> work)
    {
        if (!ShowProgress(console)) { work((_, _) => { }); return; }
        console.Progress().AutoClear(true).HideCompleted(true).Start(ctx =>
        {
            var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(max, 1));
            work((value, description) =>
            {
                task.Value = value;
                if (description is not null) task.Description = Markup.Escape(description);
            });
        });
    }
}
