using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.IO;
using System.Threading;
using ConvNet.Training;
using Spectre.Console;

namespace ConvNet.Samples.LeNet5;

/// <summary>Train, evaluate and run LeNet-5 on Fashion-MNIST.</summary>
/// <remarks>Exit codes: 0 success, 1 failure, 2 bad command line, 130 cancelled (Ctrl-C).</remarks>
public static class Program
{
    /// <summary>Exit code of a run that failed (I/O, bad data, diverged training).</summary>
    internal const int Failure = 1;

    /// <summary>Exit code of a bad command line (unknown option, invalid value, unusable output path).</summary>
    internal const int Usage = 2;

    /// <summary>Exit code of a run cancelled with Ctrl-C (128 + SIGINT, as shells report it).</summary>
    internal const int Cancelled = 130;

    public static int Main(string[] args)
    {
        using var cts = new CancellationTokenSource();

        // The first Ctrl-C stops training after the current batch (and saves what was trained); a second one, while
        // that is under way, terminates the process (saves are atomic, so no half-written files are left).
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested)
            {
                return;
            }

            e.Cancel = true;
            cts.Cancel();
            Console.Error.WriteLine("Cancelling after the current batch (Ctrl-C again to abort)...");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(args, Console.Out, Console.Error, cts.Token, interactive: null);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs the command line with its output, errors and cancellation supplied by the caller.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="cancellationToken">Cancels training between batches (Ctrl-C in <see cref="Main"/>).</param>
    /// <param name="interactive">Force progress bars on (true) or off (false); null detects the terminal.</param>
    /// <returns>The exit code.</returns>
    internal static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, bool? interactive = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = interactive switch { true => InteractionSupport.Yes, false => InteractionSupport.No, null => InteractionSupport.Detect },
            Ansi = interactive == true ? AnsiSupport.Yes : AnsiSupport.Detect,
        });
        var cli = new CliContext(output, error, console, cancellationToken);
        var options = new CliOptions();
        var parse = BuildCommands(options, cli).Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (string message in CliOptions.ErrorMessages(parse))
            {
                error.WriteLine($"error: {message}");
            }

            error.WriteLine("Run with --help for usage.");
            return Usage;
        }

        // ProcessTerminationTimeout = null: Ctrl-C is handled by Main through the token, not by the parser.
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    private static RootCommand BuildCommands(CliOptions o, CliContext cli)
    {
        var root = new RootCommand("LeNet-5 on Fashion-MNIST with ConvNet: train (default), evaluate, predict. Exit codes: 0 ok, 1 failure, 2 bad command line, 130 cancelled (Ctrl-C).");
        root.Options.Add(o.Data);
        var train = new Command("train", "Train LeNet-5 and report per-epoch loss and accuracy (the default command). Ctrl-C stops after the current batch and saves --save/--checkpoint.");
        foreach (var option in o.TrainOptions)
        {
            root.Options.Add(option);
            train.Options.Add(option);
        }

        train.SetAction(parse => Guard(cli, () => new TrainCommand(o, parse, cli).Run()));
        root.SetAction(parse => Guard(cli, () => new TrainCommand(o, parse, cli).Run()));
        var evaluate = new Command("evaluate", "Evaluate a saved model on the test set: loss, accuracy, confusion matrix.");
        evaluate.Options.Add(o.Load);
        evaluate.SetAction(parse => Guard(cli, () => ModelCommands.Evaluate(o, parse, cli)));
        var predict = new Command("predict", "Classify test images with a saved model (--load) or an ONNX model, e.g. from PyTorch (--onnx).");
        predict.Options.Add(o.PredictLoad);
        predict.Options.Add(o.OnnxModel);
        predict.Options.Add(o.Index);
        predict.Options.Add(o.Count);
        predict.SetAction(parse => Guard(cli, () => ModelCommands.Predict(o, parse, cli)));
        root.Subcommands.Add(train);
        root.Subcommands.Add(evaluate);
        root.Subcommands.Add(predict);
        return root;
    }

    private static int Guard(CliContext cli, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (UsageException e)
        {
            cli.Error.WriteLine($"error: {e.Message}");
            return Usage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or TrainingDivergedException or NotSupportedException)
        {
            cli.Error.WriteLine($"error: {e.Message}");
            return Failure;
        }
    }
}

/// <summary>Where a run writes, and its cancellation.</summary>
internal sealed record CliContext(TextWriter Output, TextWriter Error, IAnsiConsole Console, CancellationToken CancellationToken);

/// <summary>A command-line mistake: reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
