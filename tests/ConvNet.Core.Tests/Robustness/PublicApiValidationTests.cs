using System;
using System.Collections.Generic;
using System.IO;
using ConvNet.Data;
using ConvNet.Data.Transforms;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Serialization;
using ConvNet.Signal;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Robustness;

/// <summary>
/// A table that walks the public surface with bad values: each row is an API call, the exception type it must raise
/// and the parameter it must name.
/// </summary>
public class PublicApiValidationTests
{
    public static IEnumerable<object[]> Cases()
    {
        object[] Row(string api, Action call, Type exception, string? param) => [api, call, exception, param ?? ""];

        var net = Models.LeNet5.Modern();
        var data = new Dataset(new float[784], [0], [1, 28, 28], 10);

        // Tensor
        yield return Row("Tensor(null shape)", () => _ = new Tensor((int[])null!), typeof(ArgumentNullException), "shape");
        yield return Row("Tensor(empty shape)", () => _ = new Tensor(), typeof(ArgumentException), "shape");
        yield return Row("Tensor(negative dim)", () => _ = new Tensor(2, -1), typeof(ArgumentException), "shape");
        yield return Row("Tensor(memory mismatch)", () => _ = new Tensor(new float[3], 2, 2), typeof(ArgumentException), "memory");
        yield return Row("Tensor.FromData mismatch", () => Tensor.FromData([1, 2, 3], 2, 2), typeof(ArgumentException), "data");
        yield return Row("Tensor.Reshape wrong size", () => new Tensor(2, 3).Reshape(5), typeof(ArgumentException), "shape");
        yield return Row("Tensor.Slice out of range", () => new Tensor(2, 3).Slice(1, 2), typeof(ArgumentOutOfRangeException), "start");
        yield return Row("Tensor.Dim out of range", () => new Tensor(2, 3).Dim(2), typeof(ArgumentOutOfRangeException), "axis");

        // Signal
        yield return Row("Convolve null", () => Convolution.Convolve(null!, new Tensor(1)), typeof(ArgumentNullException), "signal");
        yield return Row("Convolve rank mismatch", () => Convolution.Convolve(new Tensor(3), new Tensor(1, 1)), typeof(ArgumentException), "kernelShape");
        yield return Row("Convolve bad mode", () => Convolution.Convolve(new Tensor(3), new Tensor(1), (ConvolutionMode)9), typeof(ArgumentOutOfRangeException), "mode");
        yield return Row("Flip bad axis", () => Convolution.Flip(new Tensor(3), 1), typeof(ArgumentException), "axes");

        // Layers
        yield return Row("Conv2D zero channels", () => _ = new Conv2D(0, 1, 3), typeof(ArgumentOutOfRangeException), "inChannels");
        yield return Row("Conv2D negative stride", () => _ = new Conv2D(1, 1, 3, stride: -1), typeof(ArgumentOutOfRangeException), "stride");
        yield return Row("Conv2D zero dilation", () => _ = new Conv2D(1, 1, 3, dilation: 0), typeof(ArgumentOutOfRangeException), "dilation");
        yield return Row("Conv2D kernel rank", () => _ = new Conv2D(1, 1, [3, 3, 3]), typeof(ArgumentException), "kernelSize");
        yield return Row("Conv1D table size", () => _ = new Conv1D(2, 2, 3, connections: ConnectionTable.Full(3, 2)), typeof(ArgumentException), "connections");
        yield return Row("Conv3D wrong rank input", () => new Conv3D(1, 1, 2).Forward(new Tensor(1, 1, 4, 4)), typeof(ArgumentException), "inputShape");
        yield return Row("FullyConnected zero outputs", () => _ = new FullyConnected(3, 0), typeof(ArgumentOutOfRangeException), "outputs");
        yield return Row("MaxPool2D zero kernel", () => _ = new MaxPool2D(0), typeof(ArgumentOutOfRangeException), "kernelSize");
        yield return Row("AveragePool1D big padding", () => _ = new AveragePool1D(2, 2, 2), typeof(ArgumentException), "padding");
        yield return Row("Padding negative", () => Padding.Explicit((-1, 0)), typeof(ArgumentException), "amounts");
        yield return Row("Layer.DegreeOfParallelism 0", () => new ReLU().DegreeOfParallelism = 0, typeof(ArgumentOutOfRangeException), "value");
        yield return Row("ConnectionTable.Full 0", () => ConnectionTable.Full(0, 2), typeof(ArgumentOutOfRangeException), "inputs");
        yield return Row("ConnectionTable.FromSets out of range", () => ConnectionTable.FromSets(2, [new[] { 2 }]), typeof(ArgumentException), "sets");
        yield return Row("ConnectionTable.IsConnected out of range", () => ConnectionTable.Full(2, 2).IsConnected(2, 0), typeof(ArgumentOutOfRangeException), "output");

        // Losses
        yield return Row("SoftmaxCE rank", () => new SoftmaxCrossEntropy().Forward(new Tensor(2, 2, 2), [0, 1]), typeof(ArgumentException), "prediction");
        yield return Row("Euclidean gradient shape", () => new EuclideanLoss().Backward(new Tensor(2, 3), new Tensor(2, 3), new Tensor(3, 2)), typeof(ArgumentException), "gradient");
        yield return Row("Loss bad reduction", () => _ = new EuclideanLoss((LossReduction)5), typeof(ArgumentOutOfRangeException), "reduction");
        yield return Row("Softmax shapes", () => SoftmaxCrossEntropy.Softmax(new Tensor(2, 3), new Tensor(3, 2)), typeof(ArgumentException), "probabilities");

        // Network
        yield return Row("Network.Add null", () => new Network(3).Add(null!), typeof(ArgumentNullException), "layer");
        yield return Row("Network.Add twice", () => { var r = new ReLU(); new Network(3).Add(r).Add(r); }, typeof(ArgumentException), "layer");
        yield return Row("Network.Predict wrong sample", () => net.Predict(new float[10].AsSpan()), typeof(ArgumentException), "sample");
        yield return Row("Network.DegreeOfParallelism", () => net.DegreeOfParallelism = -1, typeof(ArgumentOutOfRangeException), "value");
        yield return Row("Network.LayerOutputShape", () => net.LayerOutputShape(99), typeof(ArgumentOutOfRangeException), "index");

        // Optimizers
        yield return Row("Sgd NaN learning rate", () => _ = new Sgd(double.NaN), typeof(ArgumentOutOfRangeException), "LearningRate");
        yield return Row("Sgd negative learning rate", () => _ = new Sgd(-0.1), typeof(ArgumentOutOfRangeException), "LearningRate");
        yield return Row("Sgd momentum 1", () => _ = new Sgd(0.1, 1.0), typeof(ArgumentOutOfRangeException), "momentum");
        yield return Row("Sgd infinite decay", () => _ = new Sgd(0.1, 0, double.PositiveInfinity), typeof(ArgumentOutOfRangeException), "weightDecay");
        yield return Row("Sgd nesterov without momentum", () => _ = new Sgd(0.1, 0, 0, nesterov: true), typeof(ArgumentException), "nesterov");
        yield return Row("Adam beta1", () => _ = new Adam(1e-3, beta1: 1.5), typeof(ArgumentOutOfRangeException), "beta1");
        yield return Row("Adam epsilon", () => _ = new Adam(1e-3, epsilon: 0), typeof(ArgumentOutOfRangeException), "epsilon");
        yield return Row("Schedule step 0", () => LearningRateSchedule.Step(0, 0.5), typeof(ArgumentOutOfRangeException), "stepSize");
        yield return Row("Schedule cosine NaN", () => LearningRateSchedule.Cosine(5, double.NaN), typeof(ArgumentOutOfRangeException), "minRate");

        // Training
        yield return Row("Trainer null network", () => _ = new Trainer(null!, new SoftmaxCrossEntropy(), new Sgd(0.1)), typeof(ArgumentNullException), "network");
        yield return Row("Trainer epochs 0", () => _ = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1), new TrainingOptions { Epochs = 0 }), typeof(ArgumentOutOfRangeException), "Epochs");
        yield return Row("Trainer batch -1", () => _ = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1), new TrainingOptions { BatchSize = -1 }), typeof(ArgumentOutOfRangeException), "BatchSize");
        yield return Row("Trainer clip NaN", () => _ = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1), new TrainingOptions { GradientClipNorm = double.NaN }), typeof(ArgumentOutOfRangeException), "GradientClipNorm");
        yield return Row("Trainer wrong data shape", () => new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1)).Fit(new Dataset(new float[4], [0], [1, 2, 2], 10)), typeof(ArgumentException), "train");
        yield return Row("Trainer wrong classes", () => new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1)).Fit(new Dataset(new float[784], [0], [1, 28, 28], 3)), typeof(ArgumentException), "train");
        yield return Row("EarlyStopping patience 0", () => _ = new EarlyStopping(0), typeof(ArgumentOutOfRangeException), "patience");

        // Data
        yield return Row("Dataset label out of range", () => _ = new Dataset(new float[2], [5], [2], 3), typeof(ArgumentOutOfRangeException), "labels");
        yield return Row("Dataset length mismatch", () => _ = new Dataset(new float[3], [0], [2], 3), typeof(ArgumentException), "samples");
        yield return Row("Dataset empty", () => _ = new Dataset([], [], [2], 3), typeof(ArgumentException), "labels");
        yield return Row("Dataset.Subset out of range", () => data.Subset(0, 2), typeof(ArgumentOutOfRangeException), "start");
        yield return Row("Dataset.Split fraction", () => data.Split(1.5, 1), typeof(ArgumentOutOfRangeException), "validationFraction");
        yield return Row("Dataset.OneHot classes 0", () => Dataset.OneHot([0], 0), typeof(ArgumentOutOfRangeException), "classes");
        yield return Row("IdxReader null path", () => IdxReader.ReadImages((string)null!), typeof(ArgumentNullException), "path");
        yield return Row("IdxReader empty stream", () => IdxReader.ReadLabels(new MemoryStream()), typeof(InvalidDataException), null);
        yield return Row("IdxReader budget 0", () => IdxReader.ReadLabels(new MemoryStream(), 0), typeof(ArgumentOutOfRangeException), "maxDecodedBytes");
        yield return Row("IdxReader budget over 1 GiB", () => IdxReader.ReadImages(new MemoryStream(), IdxReader.MaxPayloadBytes + 1), typeof(ArgumentOutOfRangeException), "maxDecodedBytes");
        yield return Row("Dataset.LoadIdx classes 0", () => Dataset.LoadIdx("a", "b", 0), typeof(ArgumentOutOfRangeException), "classes");
        yield return Row("Dataset.CopyBatch start near int.MaxValue", () => data.CopyBatch([0], int.MaxValue, new Tensor(1, 1, 28, 28), new int[1]), typeof(ArgumentException), "batch");
        yield return Row("Dataset.CopyBatch index outside the data", () => data.CopyBatch([7], 0, new Tensor(1, 1, 28, 28), new int[1]), typeof(ArgumentOutOfRangeException), "order");

        // Serialization
        yield return Row("ModelSerializer.Save null", () => ModelSerializer.Save(null!, "x.safetensors"), typeof(ArgumentNullException), "network");
        yield return Row("ModelSerializer.Save negative epochs", () => ModelSerializer.Save(net, new MemoryStream(), null, -1), typeof(ArgumentOutOfRangeException), "completedEpochs");
        yield return Row("ModelSerializer.Load empty", () => ModelSerializer.LoadCheckpoint(new MemoryStream()), typeof(InvalidDataException), null);
        yield return Row("ModelSerializer.Save custom layer", () => ModelSerializer.Save(new Network(2).Add(new Custom()), new MemoryStream()), typeof(NotSupportedException), null);

        // Diagnostics
        // Data sources, augmentation, trainer continuation, weights
        yield return Row("DataSource.CopyBatch wrong batch shape", () => data.CopyBatch([0], new Tensor(1, 784), new int[1], null), typeof(ArgumentException), "batch");
        yield return Row("DataSource.CopyBatch index", () => data.CopyBatch([1], new Tensor(1, 1, 28, 28), new int[1], null), typeof(ArgumentOutOfRangeException), "indices");
        yield return Row("DataSource.CopyBatch epoch", () => data.CopyBatch([0], new Tensor(1, 1, 28, 28), new int[1], null, -2), typeof(ArgumentOutOfRangeException), "epoch");
        yield return Row("Dataset regression targets", () => _ = new Dataset(new float[4], new float[3], [2], [2]), typeof(ArgumentException), "targets");
        yield return Row("AugmentedSource null", () => _ = new AugmentedSource(null!, 0), typeof(ArgumentNullException), "source");
        yield return Row("RandomCrop(0)", () => _ = new RandomCrop(0), typeof(ArgumentOutOfRangeException), "padding");
        yield return Row("RandomHorizontalFlip(2)", () => _ = new RandomHorizontalFlip(2), typeof(ArgumentOutOfRangeException), "probability");
        yield return Row("Normalize std 0", () => _ = new Normalize([0f], [0f]), typeof(ArgumentOutOfRangeException), "std");
        yield return Row("IdxFileSource null", () => _ = new IdxFileSource(null!, "x"), typeof(ArgumentNullException), "imagesPath");
        yield return Row("Trainer.FitMore(0)", () => new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1)).FitMore(0, data), typeof(ArgumentOutOfRangeException), "epochs");
        yield return Row("Trainer.FromCheckpoint null", () => Trainer.FromCheckpoint(null!, new SoftmaxCrossEntropy()), typeof(ArgumentNullException), "checkpoint");
        yield return Row("ConfusionMatrix null", () => _ = new ConfusionMatrix(null!), typeof(ArgumentNullException), "counts");
        yield return Row("ModelSerializer.LoadWeights null", () => ModelSerializer.LoadWeights(null!, "x"), typeof(ArgumentNullException), "network");
        yield return Row("FullyConnected(outputs 0)", () => _ = new FullyConnected(0), typeof(ArgumentOutOfRangeException), "outputs");
        yield return Row("LearningRateSchedule.TryParse null", () => LearningRateSchedule.TryParse(null!), typeof(ArgumentNullException), "description");

        yield return Row("GradientChecker null layer", () => GradientChecker.Check((Layer)null!, [1, 2]), typeof(ArgumentNullException), "layer");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_raises_a_clear_exception_naming_the_parameter(string api, Action call, Type exception, string param)
    {
        var e = FluentActions.Invoking(call).Should().Throw<Exception>().Which;
        e.Should().BeAssignableTo(exception, api);
        e.Message.Should().NotBeNullOrWhiteSpace();
        if (param.Length > 0)
        {
            ((ArgumentException)e).ParamName.Should().Be(param, api);
        }
    }

    private sealed class Custom() : Layer("Custom")
    {
        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output)
        {
        }

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
        }
    }
}
