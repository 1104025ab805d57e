using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using ConvNet.Data;
using ConvNet.Data.Transforms;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Training;
using Spectre.Console;

namespace ConvNet.Samples.LeNet5;

/// <summary>
/// train: check every output path, load the data, build (or resume) the network, fit with progress and the
/// cancellation token, then save. A cancelled run saves what was trained so far and exits with 130.
/// </summary>
internal sealed class TrainCommand(CliOptions o, ParseResult parse, CliContext cli)
{
    private string? _save;
    private string? _onnx;
    private string? _checkpoint;

    public int Run()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var dataDir = ModelCommands.DataDirectory(o, parse);
        CheckOutputs();
        var resume = LoadResume();

        var (trainSet, testSet, source) = ModelCommands.LoadData(dataDir);
        if (parse.GetValue(o.Limit) is int limit)
        {
            trainSet = trainSet.Subset(0, Math.Min(limit, trainSet.Count));
        }

        int epochs = parse.GetValue(o.Epochs) ?? (dataDir is not null ? 15 : 6);
        int seed = resume is not null && !CliOptions.Given(parse, o.Seed) ? resume.Seed : parse.GetValue(o.Seed);
        string model = resume is null ? parse.GetValue(o.Model)! : "from checkpoint";
        var network = resume?.Network ?? CreateNetwork(model, seed);
        var optimizer = resume?.Optimizer ?? new Sgd(parse.GetValue(o.LearningRate), parse.GetValue(o.Momentum), parse.GetValue(o.WeightDecay));
        var options = new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = parse.GetValue(o.BatchSize),
            Seed = seed,
            DegreeOfParallelism = parse.GetValue(o.Threads),
            Schedule = LearningRateSchedule.Cosine(epochs),
        };
        var trainer = new Trainer(network, new SoftmaxCrossEntropy(), optimizer, options);
        if (resume is not null)
        {
            if (resume.Seed != seed)
            {
                throw new UsageException($"--seed {seed} differs from the seed {resume.Seed} the --resume checkpoint was trained with");
            }

            trainer.Resume(resume);
        }

        if (_checkpoint is not null)
        {
            trainer.Callbacks.Add(new ModelCheckpoint(_checkpoint));
        }

        PrintHeader(model, source, trainSet, testSet, trainer, resume);
        DataSource trainSource = trainSet;
        if (parse.GetValue(o.Augment))
        {
            trainSource = new AugmentedSource(trainSet, seed, new RandomCrop(2), new RandomHorizontalFlip());
            cli.Output.WriteLine("Augmentation: random crop (padding 2) and horizontal flip, new variants every epoch");
        }

        var history = Fit(trainer, trainSource, testSet);
        if (history.Cancelled)
        {
            cli.Output.WriteLine($"Cancelled after {trainer.CompletedEpochs} epoch(s) and {trainer.CompletedBatches} batch(es) of epoch {trainer.CompletedEpochs + 1} ({clock.Elapsed.TotalSeconds:F1} s).");
            PrintHistory(history);
            SaveOutputs(trainer);
            return Program.Cancelled;
        }

        PrintHistory(history);
        if (history.Epochs.Count == 0)
        {
            cli.Output.WriteLine($"The checkpoint has already completed {trainer.CompletedEpochs} of {epochs} epochs; nothing to train.");
        }
        else
        {
            cli.Output.WriteLine($"Final test accuracy: {history.Epochs[^1].ValidationAccuracy:P2} ({clock.Elapsed.TotalSeconds:F1} s in total)");
        }

        SaveOutputs(trainer);
        return 0;
    }

    /// <summary>Every output path is checked before any work, so a typo costs nothing.</summary>
    private void CheckOutputs()
    {
        _save = parse.GetValue(o.Save) is FileInfo save ? OutputPaths.Check("--save", save) : null;
        _onnx = parse.GetValue(o.Onnx) is FileInfo onnx ? OutputPaths.Check("--export-onnx", onnx) : null;
        _checkpoint = parse.GetValue(o.Checkpoint) is FileInfo ckpt ? OutputPaths.Check("--checkpoint", ckpt) : null;
        if (_save is not null && _save == _onnx)
        {
            throw new UsageException("--save and --export-onnx must be different files");
        }

        if (_checkpoint is not null && (_checkpoint == _save || _checkpoint == _onnx))
        {
            throw new UsageException("--checkpoint must be a different file from --save and --export-onnx");
        }
    }

    private Checkpoint? LoadResume()
    {
        if (parse.GetValue(o.Resume) is not FileInfo file)
        {
            return null;
        }

        foreach (var fixedByCheckpoint in new Option[] { o.Model, o.LearningRate, o.Momentum, o.WeightDecay })
        {
            if (CliOptions.Given(parse, fixedByCheckpoint))
            {
                throw new UsageException($"{fixedByCheckpoint.Name} cannot be combined with --resume (the network and optimizer come from the checkpoint)");
            }
        }

        if (!file.Exists)
        {
            throw new UsageException($"--resume: '{file.FullName}' does not exist");
        }

        var checkpoint = ModelSerializer.LoadCheckpoint(file.FullName);
        return checkpoint.Optimizer is null
            ? throw new UsageException($"--resume: '{file.FullName}' is a model without optimizer state; resume from a --checkpoint file")
            : checkpoint;
    }

    private static Network CreateNetwork(string model, int seed) => model switch
    {
        "classic" => ConvNet.Models.LeNet5.Classic(seed),
        "classic-sigmoid" => ConvNet.Models.LeNet5.Classic(seed, sigmoid: true),
        "resnet20" => ConvNet.Models.ResNet.ResNet20(seed),
        "resnext" => ConvNet.Models.ResNet.ResNeXt(seed),
        _ => ConvNet.Models.LeNet5.Modern(seed),
    };

    private void PrintHeader(string model, string source, Dataset trainSet, Dataset testSet, Trainer trainer, Checkpoint? resume)
    {
        var options = trainer.Options;
        cli.Console.MarkupLine($"[bold]LeNet-5 ({model})[/] on {Markup.Escape(source)}: {trainSet.Count:N0} training, {testSet.Count:N0} test images");
        if (resume is not null)
        {
            cli.Output.WriteLine($"Resuming from {parse.GetValue(o.Resume)!.FullName}: {resume.CompletedEpochs} epoch(s) and {resume.CompletedBatches} batch(es) done");
        }

        string optimizer = trainer.Optimizer is Sgd sgd
            ? $"SGD α={trainer.BaseLearningRate} (cosine), μ={sgd.Momentum}, λ={sgd.WeightDecay}"
            : $"{trainer.Optimizer.GetType().Name} α={trainer.BaseLearningRate} (cosine)";
        cli.Output.WriteLine($"{optimizer}, batch {options.BatchSize}, {options.Epochs} epochs, seed {options.Seed}, {options.DegreeOfParallelism} thread(s)");
        cli.Output.WriteLine(trainer.Network.Summary());
    }

    private TrainingHistory Fit(Trainer trainer, DataSource trainSet, Dataset testSet)
    {
        if (!cli.Console.Profile.Capabilities.Interactive)
        {
            trainer.Callbacks.Add(new EpochLog(cli.Output));
            return trainer.Fit(trainSet, testSet, cancellationToken: cli.CancellationToken);
        }

        TrainingHistory history = null!;
        cli.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx => history = trainer.Fit(trainSet, testSet, new EpochProgress(ctx), cli.CancellationToken));
        return history;
    }

    private void PrintHistory(TrainingHistory history)
    {
        if (history.Epochs.Count == 0)
        {
            return;
        }

        var table = new Table().AddColumns("Epoch", "lr", "Train loss", "Train acc", "Test loss", "Test acc", "img/s", "Time");
        foreach (var m in history.Epochs)
        {
            table.AddRow(m.Epoch.ToString(CultureInfo.InvariantCulture), m.LearningRate.ToString("G3", CultureInfo.InvariantCulture),
                m.TrainLoss.ToString("F4", CultureInfo.InvariantCulture), m.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                m.ValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-", m.ValidationAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                m.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture), m.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        }

        cli.Console.Write(table);
    }

    /// <summary>Writes every requested output (each atomically: a temporary file renamed over the target).</summary>
    private void SaveOutputs(Trainer trainer)
    {
        if (_checkpoint is not null)
        {
            trainer.SaveCheckpoint(_checkpoint);
            cli.Output.WriteLine($"Saved the checkpoint to {_checkpoint}");
        }

        if (_save is not null)
        {
            ModelSerializer.Save(trainer.Network, _save);
            cli.Output.WriteLine($"Saved the model to {_save}");
        }

        if (_onnx is not null)
        {
            ConvNet.Onnx.OnnxExporter.Export(trainer.Network, _onnx);
            cli.Output.WriteLine($"Exported ONNX (opset {ConvNet.Onnx.OnnxExporter.Opset}) to {_onnx}");
        }
    }
}
