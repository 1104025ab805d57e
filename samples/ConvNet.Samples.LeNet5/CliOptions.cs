using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ConvNet.Samples.LeNet5;

/// <summary>
/// The options of the sample, built fresh for every run. Every value is parsed and validated here, so an error names
/// the flag the user typed ("--epochs must be a positive integer (got -3)") instead of a library parameter.
/// </summary>
internal sealed class CliOptions
{
    public static readonly string[] Models = ["modern", "classic", "classic-sigmoid", "resnet20", "resnext"];

    public Option<DirectoryInfo?> Data { get; } = new("--data")
    {
        Description = "Directory with the full Fashion-MNIST IDX files (train-*/t10k-*-ubyte[.gz]). Default: the 10,000/2,000-image subset shipped with the sample.",
        Recursive = true,
    };

    public Option<int?> Epochs { get; } = new("--epochs")
    {
        Description = "Epochs (default 6 on the shipped subset, 15 with --data).",
        CustomParser = r => Int(r, "a positive integer", v => v > 0),
    };

    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Mini-batch size.",
        DefaultValueFactory = _ => 64,
        CustomParser = r => Int(r, "a positive integer", v => v > 0) ?? 0,
    };

    public Option<double> LearningRate { get; } = new("--lr")
    {
        Description = "Learning rate α (cosine-annealed to 0 over the epochs).",
        DefaultValueFactory = _ => 0.05,
        CustomParser = r => Double(r, "a finite number > 0", v => double.IsFinite(v) && v > 0),
    };

    public Option<double> Momentum { get; } = new("--momentum")
    {
        Description = "Momentum μ, in [0, 1).",
        DefaultValueFactory = _ => 0.9,
        CustomParser = r => Double(r, "a number in [0, 1)", v => v is >= 0 and < 1),
    };

    public Option<double> WeightDecay { get; } = new("--weight-decay")
    {
        Description = "Weight decay λ (weights only).",
        DefaultValueFactory = _ => 5e-4,
        CustomParser = r => Double(r, "a finite number >= 0", v => double.IsFinite(v) && v >= 0),
    };

    public Option<int> Seed { get; } = new("--seed")
    {
        Description = "Seed of the weights and the sample order.",
        DefaultValueFactory = _ => 1,
        CustomParser = r => Int(r, "an integer", _ => true) ?? 0,
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Threads (default: all cores).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        CustomParser = r => Int(r, "a positive integer", v => v > 0) ?? 0,
    };

    public Option<string> Model { get; } = new("--model")
    {
        Description = "modern (ReLU, max-pool), classic (1998: tanh, average pool, C3 connection table), classic-sigmoid, resnet20 or resnext (residual networks with BatchNorm).",
        DefaultValueFactory = _ => "modern",
        HelpName = string.Join('|', Models),
        CustomParser = r =>
        {
            string token = Token(r);
            if (Array.IndexOf(Models, token) < 0)
            {
                r.AddError($"--model must be one of {string.Join(", ", Models)} (got {token})");
            }

            return token;
        },
    };

    public Option<int?> Limit { get; } = new("--limit")
    {
        Description = "Use only the first N training images (quick runs).",
        CustomParser = r => Int(r, "a positive integer", v => v > 0),
    };

    public Option<bool> Augment { get; } = new("--augment")
    {
        Description = "Augment the training images every epoch: random crop with 2 pixels of zero padding and a random horizontal flip (seeded by --seed).",
    };

    public Option<FileInfo?> Save { get; } = new("--save") { Description = "Save the trained model (safetensors) to this path; also when cancelled with Ctrl-C." };

    public Option<FileInfo?> Onnx { get; } = new("--export-onnx") { Description = "Also export the trained model to ONNX (opset 13) at this path." };

    public Option<FileInfo?> Checkpoint { get; } = new("--checkpoint")
    {
        Description = "Save a training checkpoint (weights, optimizer state, position) here after every epoch and when cancelled with Ctrl-C.",
    };

    public Option<FileInfo?> Resume { get; } = new("--resume")
    {
        Description = "Continue from a --checkpoint file (its network and optimizer; give the same --epochs, --batch-size and --limit).",
    };

    public Option<FileInfo> Load { get; } = new("--load") { Description = "A model saved with --save (or a --checkpoint).", Required = true };

    public Option<FileInfo?> PredictLoad { get; } = new("--load") { Description = "A model saved with --save (or a --checkpoint); or give --onnx." };

    public Option<FileInfo?> OnnxModel { get; } = new("--onnx")
    {
        Description = "An ONNX model instead of --load, e.g. a CNN from torch.onnx.export: input [N, 1, 28, 28], 10 class scores.",
    };

    public Option<int> Index { get; } = new("--index")
    {
        Description = "Index of the test image to classify.",
        DefaultValueFactory = _ => 0,
        CustomParser = r => Int(r, "a non-negative integer", v => v >= 0) ?? 0,
    };

    public Option<int> Count { get; } = new("--count")
    {
        Description = "How many test images to classify, from --index.",
        DefaultValueFactory = _ => 1,
        CustomParser = r => Int(r, "a positive integer", v => v > 0) ?? 0,
    };

    /// <summary>The options of train (also accepted by the root command, where train is the default).</summary>
    public IEnumerable<Option> TrainOptions => [Epochs, BatchSize, LearningRate, Momentum, WeightDecay, Seed, Threads, Model, Limit, Augment, Save, Onnx, Checkpoint, Resume];

    /// <summary>True when the user typed the option (not just its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is OptionResult { Implicit: false };

    /// <summary>
    /// The messages to show for a parse that failed: unknown options list the valid ones of the command, the other
    /// errors (already naming their flag) pass through.
    /// </summary>
    public static IReadOnlyList<string> ErrorMessages(ParseResult parse)
    {
        var messages = new List<string>();
        var unmatched = parse.UnmatchedTokens;
        var command = parse.CommandResult.Command;
        var valid = ValidOptions(command).ToList();
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            if (token.StartsWith('-'))
            {
                string? near = valid.OrderBy(v => Distance(token, v)).FirstOrDefault(v => Distance(token, v) <= 2);
                messages.Add(near is null ? $"unknown option '{token}'" : $"unknown option '{token}' (did you mean {near}?)");
            }
            else if (i == 0 || !unmatched[i - 1].StartsWith('-'))
            {
                // A value right after an unknown option belongs to it; anything else is a stray argument.
                messages.Add($"unexpected argument '{token}'");
            }
        }

        if (unmatched.Count > 0)
        {
            string name = command is RootCommand ? "the default command (train)" : $"'{command.Name}'";
            messages.Add($"valid options for {name}: {string.Join(", ", valid)}");
        }

        foreach (var error in parse.Errors)
        {
            // The parser's own "Unrecognized command or argument" errors are replaced by the messages above.
            if (!unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            {
                messages.Add(error.Message);
            }
        }

        return messages;
    }

    private static IEnumerable<string> ValidOptions(Command command)
    {
        var names = command.Options.Where(o => !o.Hidden).Select(o => o.Name).ToList();
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
        {
            names.AddRange(parent.Options.Where(o => o.Recursive && !o.Hidden && !names.Contains(o.Name)).Select(o => o.Name));
        }

        return names;
    }

    /// <summary>Levenshtein distance, for "did you mean".</summary>
    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    private static int? Int(ArgumentResult r, string expected, Func<int, bool> valid)
    {
        string token = Token(r);
        if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && valid(v))
        {
            return v;
        }

        r.AddError($"{OptionName(r)} must be {expected} (got {token})");
        return null;
    }

    private static double Double(ArgumentResult r, string expected, Func<double, bool> valid)
    {
        string token = Token(r);
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && valid(v))
        {
            return v;
        }

        r.AddError($"{OptionName(r)} must be {expected} (got {token})");
        return 0;
    }

    // Arity (exactly one value) is checked by the parser before the custom parser runs.
    private static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";

    private static string OptionName(ArgumentResult r) => r.Parent is OptionResult o ? o.Option.Name : r.Argument.Name;
}
