using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Onnx;
using ConvNet.Serialization;
using ConvNet.Training;
using Spectre.Console;

namespace ConvNet.Samples.LeNet5;

/// <summary>evaluate and predict (commands on a saved model), and the data loading they share with train.</summary>
internal static class ModelCommands
{
    public static int Evaluate(CliOptions o, ParseResult parse, CliContext cli)
    {
        var data = DataDirectory(o, parse);
        var network = ModelSerializer.Load(parse.GetValue(o.Load)!.FullName);
        var (_, test, source) = LoadData(data);
        var result = Trainer.Evaluate(network, new SoftmaxCrossEntropy(), test);
        cli.Output.WriteLine($"{source}: {test.Count:N0} test images, loss {result.Loss:F4}, accuracy {result.Accuracy:P2}");
        var table = new Table().AddColumn("true \\ predicted");
        for (int k = 0; k < test.Classes; k++)
        {
            table.AddColumn(k.ToString(CultureInfo.InvariantCulture));
        }

        table.AddColumn("precision").AddColumn("recall").AddColumn("F1");
        var confusion = result.ConfusionMatrix!;
        for (int t = 0; t < test.Classes; t++)
        {
            var counts = Enumerable.Range(0, test.Classes).Select(p => confusion[t, p].ToString(CultureInfo.InvariantCulture));
            string[] scores = [confusion.Precision(t).ToString("F3", CultureInfo.InvariantCulture), confusion.Recall(t).ToString("F3", CultureInfo.InvariantCulture), confusion.F1(t).ToString("F3", CultureInfo.InvariantCulture)];
            table.AddRow(new[] { $"{t} {FashionMnist.ClassNames[t]}" }.Concat(counts).Concat(scores).ToArray());
        }

        cli.Console.Write(table);
        return 0;
    }

    public static int Predict(CliOptions o, ParseResult parse, CliContext cli)
    {
        var data = DataDirectory(o, parse);
        int index = parse.GetValue(o.Index), count = parse.GetValue(o.Count); // index >= 0, count > 0 (parser)
        var network = PredictionModel(o, parse);
        var (_, test, _) = LoadData(data);

        // Compared as count > Count - index: with 0 <= index < Count that difference cannot overflow, where
        // index + count (both up to int.MaxValue) could wrap negative and pass the check.
        if (index >= test.Count)
        {
            throw new UsageException($"--index must be less than the {test.Count} test images (got {index})");
        }

        if (count > test.Count - index)
        {
            throw new UsageException($"--count {count} from --index {index} runs past the {test.Count} test images (at most {test.Count - index})");
        }

        for (int i = index; i < index + count; i++)
        {
            if (cli.CancellationToken.IsCancellationRequested)
            {
                cli.Output.WriteLine("Cancelled.");
                return Program.Cancelled;
            }

            var logits = network.Predict(test.Sample(i));
            var probs = new float[logits.Length];
            System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, probs);
            int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs);
            cli.Output.WriteLine($"image {i}: predicted {best} {FashionMnist.ClassNames[best]} ({probs[best]:P1}), true {test.Labels[i]} {FashionMnist.ClassNames[test.Labels[i]]}");
        }

        return 0;
    }

    /// <summary>The model of predict: a saved ConvNet model (--load) or an imported ONNX model (--onnx), exactly one.</summary>
    private static Network PredictionModel(CliOptions o, ParseResult parse)
    {
        var load = parse.GetValue(o.PredictLoad);
        var onnx = parse.GetValue(o.OnnxModel);
        if ((load is null) == (onnx is null))
        {
            throw new UsageException("predict needs exactly one of --load (a ConvNet model) and --onnx (an ONNX model)");
        }

        if (load is not null)
        {
            return ModelSerializer.Load(load.FullName);
        }

        if (!onnx!.Exists)
        {
            throw new UsageException($"--onnx: file '{onnx.FullName}' does not exist");
        }

        var network = OnnxImporter.Load(onnx.FullName);
        if (!network.InputShape.SequenceEqual([1, 28, 28]) || !network.OutputShape.SequenceEqual([FashionMnist.ClassNames.Length]))
        {
            throw new UsageException($"--onnx: the model maps [{string.Join(", ", network.InputShape.ToArray())}] to [{string.Join(", ", network.OutputShape.ToArray())}]; predict needs Fashion-MNIST images [1, 28, 28] and {FashionMnist.ClassNames.Length} class scores");
        }

        return network;
    }

    /// <summary>The --data directory (checked to exist), or null for the shipped subset.</summary>
    public static DirectoryInfo? DataDirectory(CliOptions o, ParseResult parse)
    {
        var dir = parse.GetValue(o.Data);
        if (dir is not null && !dir.Exists)
        {
            throw new UsageException($"--data: directory '{dir.FullName}' does not exist");
        }

        return dir;
    }

    public static (Dataset Train, Dataset Test, string Source) LoadData(DirectoryInfo? dir)
    {
        string path = dir?.FullName ?? Path.Combine(AppContext.BaseDirectory, "data");
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"Data directory '{path}' does not exist.");
        }

        var (train, test) = FashionMnist.Load(path);
        return (train, test, dir is null ? "the shipped Fashion-MNIST subset" : path);
    }
}
