using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using Spectre.Console;

namespace ConvNet.Samples.LeNet5;

/// <summary>Train, evaluate and run LeNet-5 on Fashion-MNIST.</summary>
public static class Program
{
    private static readonly Option<DirectoryInfo?> DataOption = new("--data")
    {
        Description = "Directory with the full Fashion-MNIST IDX files (train-*/t10k-*-ubyte[.gz]). Default: the 10,000/2,000-image subset shipped with the sample.",
        Recursive = true,
    };

    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "Epochs (default 6 on the shipped subset, 15 with --data).", Recursive = true };
    private static readonly Option<int> BatchOption = new("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64, Recursive = true };
    private static readonly Option<double> LrOption = new("--lr") { Description = "Learning rate α (cosine-annealed to 0 over the epochs).", DefaultValueFactory = _ => 0.05, Recursive = true };
    private static readonly Option<double> MomentumOption = new("--momentum") { Description = "Momentum μ.", DefaultValueFactory = _ => 0.9, Recursive = true };
    private static readonly Option<double> DecayOption = new("--weight-decay") { Description = "Weight decay λ (weights only).", DefaultValueFactory = _ => 5e-4, Recursive = true };
    private static readonly Option<int> SeedOption = new("--seed") { Description = "Seed of the weights and the sample order.", DefaultValueFactory = _ => 1, Recursive = true };
    private static readonly Option<int> ThreadsOption = new("--threads") { Description = "Threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount, Recursive = true };
    private static readonly Option<string> ModelOption = new("--model")
    {
        Description = "modern (ReLU, max-pool), classic (1998: tanh, average pool, C3 connection table), resnet20 or resnext (residual networks with BatchNorm).",
        DefaultValueFactory = _ => "modern",
        Recursive = true,
    };

    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N training images (quick runs).", Recursive = true };
    private static readonly Option<FileInfo?> SaveOption = new("--save") { Description = "Save the trained model (safetensors) to this path.", Recursive = true };
    private static readonly Option<FileInfo?> OnnxOption = new("--export-onnx") { Description = "Also export the trained model to ONNX (opset 13) at this path.", Recursive = true };
    private static readonly Option<FileInfo> LoadOption = new("--load") { Description = "A model saved with --save.", Required = true };
    private static readonly Option<int> IndexOption = new("--index") { Description = "Index of the test image to classify.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> CountOption = new("--count") { Description = "How many test images to classify, from --index.", DefaultValueFactory = _ => 1 };

    private static Host? _host;

    static Program() => ModelOption.AcceptOnlyFromAmong("modern", "classic", "classic-sigmoid", "resnet20", "resnext");

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>Runs the command line with its output, errors and cancellation supplied by the caller (tests).</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, bool interactive = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.Detect,
            Ansi = interactive ? AnsiSupport.Yes : AnsiSupport.Detect,
        });
        _host = new Host(output, error, console, cancellationToken);
        try
        {
            return Invoke(args);
        }
        finally
        {
            _host = null;
        }
    }

    private static Host Current => _host ?? throw new InvalidOperationException("Not running.");

    private static int Invoke(string[] args)
    {
        var root = new RootCommand("LeNet-5 on Fashion-MNIST with ConvNet: train (default), evaluate, predict.");
        foreach (var o in new Option[] { DataOption, EpochsOption, BatchOption, LrOption, MomentumOption, DecayOption, SeedOption, ThreadsOption, ModelOption, LimitOption, SaveOption, OnnxOption })
        {
            root.Options.Add(o);
        }

        var train = new Command("train", "Train LeNet-5 and report per-epoch loss and accuracy (the default command).");
        train.SetAction(Train);
        root.SetAction(Train);
        var evaluate = new Command("evaluate", "Evaluate a saved model on the test set: loss, accuracy, confusion matrix.");
        evaluate.Options.Add(LoadOption);
        evaluate.SetAction(Evaluate);
        var predict = new Command("predict", "Classify test images with a saved model.");
        predict.Options.Add(LoadOption);
        predict.Options.Add(IndexOption);
        predict.Options.Add(CountOption);
        predict.SetAction(Predict);
        root.Subcommands.Add(train);
        root.Subcommands.Add(evaluate);
        root.Subcommands.Add(predict);
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = Current.Output, Error = Current.Error });
    }

    private static int Train(ParseResult parse) => Guard(() =>
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (trainSet, testSet, source) = LoadData(parse.GetValue(DataOption));
        if (parse.GetValue(LimitOption) is int limit)
        {
            if (limit <= 0)
            {
                throw new ArgumentException($"--limit must be positive; actual {limit}.");
            }

            trainSet = trainSet.Subset(0, Math.Min(limit, trainSet.Count));
        }

        bool full = parse.GetValue(DataOption) is not null;
        int epochs = parse.GetValue(EpochsOption) ?? (full ? 15 : 6);
        string model = parse.GetValue(ModelOption)!;
        int seed = parse.GetValue(SeedOption);
        var network = model switch
        {
            "classic" => ConvNet.Models.LeNet5.Classic(seed),
            "classic-sigmoid" => ConvNet.Models.LeNet5.Classic(seed, sigmoid: true),
            "resnet20" => ConvNet.Models.ResNet.ResNet20(seed),
            "resnext" => ConvNet.Models.ResNet.ResNeXt(seed),
            _ => ConvNet.Models.LeNet5.Modern(seed),
        };
        var options = new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = parse.GetValue(BatchOption),
            Seed = seed,
            DegreeOfParallelism = parse.GetValue(ThreadsOption),
            Schedule = LearningRateSchedule.Cosine(epochs),
        };
        var sgd = new Sgd(parse.GetValue(LrOption), parse.GetValue(MomentumOption), parse.GetValue(DecayOption));
        var trainer = new Trainer(network, new SoftmaxCrossEntropy(), sgd, options);

        Current.Console.MarkupLine($"[bold]LeNet-5 ({model})[/] on {Markup.Escape(source)}: {trainSet.Count:N0} training, {testSet.Count:N0} test images");
        Current.Console.MarkupLine($"SGD α={sgd.LearningRate} (cosine), μ={sgd.Momentum}, λ={sgd.WeightDecay}, batch {options.BatchSize}, {epochs} epochs, seed {seed}, {options.DegreeOfParallelism} thread(s)");
        Current.Output.WriteLine(network.Summary());

        var table = new Table().AddColumns("Epoch", "lr", "Train loss", "Train acc", "Test loss", "Test acc", "img/s", "Time");
        TrainingHistory history = null!;
        if (Current.Console.Profile.Capabilities.Interactive)
        {
            Current.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var tasks = Enumerable.Range(1, epochs).Select(e => ctx.AddTask($"Epoch {e}/{epochs}", autoStart: false)).ToArray();
                    var progress = new SyncProgress<TrainingProgress>(p =>
                    {
                        var t = tasks[p.Epoch - 1];
                        t.StartTask();
                        t.MaxValue = p.Batches;
                        t.Value = p.Batch;
                        t.Description = $"Epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P1}";
                    });
                    history = trainer.Fit(trainSet, testSet, progress);
                });
        }
        else
        {
            history = trainer.Fit(trainSet, testSet);
        }

        foreach (var m in history.Epochs)
        {
            table.AddRow(m.Epoch.ToString(CultureInfo.InvariantCulture), m.LearningRate.ToString("G3", CultureInfo.InvariantCulture),
                m.TrainLoss.ToString("F4", CultureInfo.InvariantCulture), m.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                m.ValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-", m.ValidationAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                m.ImagesPerSecond.ToString("N0", CultureInfo.InvariantCulture), m.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        }

        Current.Console.Write(table);
        var final = history.Epochs[^1];
        Current.Output.WriteLine($"Final test accuracy: {final.ValidationAccuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s in total)");
        if (parse.GetValue(SaveOption) is FileInfo save)
        {
            ModelSerializer.Save(network, save.FullName);
            Current.Output.WriteLine($"Saved the model to {save.FullName}");
        }

        if (parse.GetValue(OnnxOption) is FileInfo onnx)
        {
            ConvNet.Onnx.OnnxExporter.Export(network, onnx.FullName);
            Current.Output.WriteLine($"Exported ONNX (opset {ConvNet.Onnx.OnnxExporter.Opset}) to {onnx.FullName}");
        }

        return 0;
    });

    private static int Evaluate(ParseResult parse) => Guard(() =>
    {
        var network = ModelSerializer.Load(parse.GetValue(LoadOption)!.FullName);
        var (_, test, source) = LoadData(parse.GetValue(DataOption));
        var result = Trainer.Evaluate(network, new SoftmaxCrossEntropy(), test);
        Current.Output.WriteLine($"{source}: {test.Count:N0} test images, loss {result.Loss:F4}, accuracy {result.Accuracy:P2}");
        var table = new Table().AddColumn("true \\ predicted");
        for (int k = 0; k < test.Classes; k++)
        {
            table.AddColumn(k.ToString(CultureInfo.InvariantCulture));
        }

        for (int t = 0; t < test.Classes; t++)
        {
            table.AddRow(new[] { $"{t} {FashionMnist.ClassNames[t]}" }.Concat(Enumerable.Range(0, test.Classes).Select(p => result.ConfusionMatrix[t, p].ToString(CultureInfo.InvariantCulture))).ToArray());
        }

        Current.Console.Write(table);
        return 0;
    });

    private static int Predict(ParseResult parse) => Guard(() =>
    {
        var network = ModelSerializer.Load(parse.GetValue(LoadOption)!.FullName);
        var (_, test, _) = LoadData(parse.GetValue(DataOption));
        int index = parse.GetValue(IndexOption), count = parse.GetValue(CountOption);
        if (index < 0 || count <= 0 || index + count > test.Count)
        {
            throw new ArgumentException($"--index {index} --count {count} is outside the {test.Count} test images.");
        }

        for (int i = index; i < index + count; i++)
        {
            var logits = network.Predict(test.Sample(i));
            var probs = new float[logits.Length];
            System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, probs);
            int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs);
            Current.Output.WriteLine($"image {i}: predicted {best} {FashionMnist.ClassNames[best]} ({probs[best]:P1}), true {test.Labels[i]} {FashionMnist.ClassNames[test.Labels[i]]}");
        }

        return 0;
    });

    private static (Dataset Train, Dataset Test, string Source) LoadData(DirectoryInfo? dir)
    {
        string path = dir?.FullName ?? Path.Combine(AppContext.BaseDirectory, "data");
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"Data directory '{path}' does not exist.");
        }

        var (train, test) = FashionMnist.Load(path);
        return (train, test, dir is null ? "the shipped Fashion-MNIST subset" : path);
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or TrainingDivergedException or NotSupportedException)
        {
            Current.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private sealed record Host(TextWriter Output, TextWriter Error, IAnsiConsole Console, CancellationToken CancellationToken);

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
