using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;

namespace ConvNet.Bench;

/// <summary>ResNet-20 (and ResNeXt) train steps at batch 64 and 128 and inference at batch 1 and 256, on one thread and two.</summary>
public class ResNetBenchmarks
{
    private Network _net = null!;
    private Tensor _x64 = null!, _x128 = null!, _x1 = null!, _x256 = null!, _y1 = null!, _y256 = null!, _d64 = null!, _d128 = null!;
    private readonly int[] _labels = new int[128];
    private readonly SoftmaxCrossEntropy _loss = new();
    private Sgd _sgd = null!;

    [Params("resnet20", "resnext")]
    public string Model { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = Model == "resnet20" ? ResNet.ResNet20(1) : ResNet.ResNeXt(1);
        _net.DegreeOfParallelism = Threads;
        _sgd = new Sgd(0.01, 0.9, 5e-4);
        var rng = new Random(1);
        _x64 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 64 * 784), 64, 1, 28, 28);
        _x128 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 128 * 784), 128, 1, 28, 28);
        _x1 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 784), 1, 1, 28, 28);
        _x256 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 256 * 784), 256, 1, 28, 28);
        _y1 = new Tensor(1, 10);
        _y256 = new Tensor(256, 10);
        _d64 = new Tensor(64, 10);
        _d128 = new Tensor(128, 10);
        for (int i = 0; i < _labels.Length; i++)
        {
            _labels[i] = i % 10;
        }
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = parameter;
        return (method switch
        {
            nameof(TrainStep64) => 64,
            nameof(TrainStep128) => 128,
            nameof(Inference1) => 1,
            _ => 256,
        }, "img/s");
    }

    [Benchmark]
    public void TrainStep64() => Step(_x64, _d64, 64);

    [Benchmark]
    public void TrainStep128() => Step(_x128, _d128, 128);

    [Benchmark]
    public void Inference1() => _net.Predict(_x1, _y1);

    [Benchmark]
    public void Inference256() => _net.Predict(_x256, _y256);

    private void Step(Tensor x, Tensor delta, int n)
    {
        var y = _net.Forward(x);
        var labels = _labels.AsSpan(0, n);
        _loss.Forward(y, labels);
        _loss.Backward(y, labels, delta);
        _net.Backward(delta);
        _sgd.Step(_net.Parameters);
    }
}
