using System;
using ConvNet;
using ConvNet.Data;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;

// A user's first program against the published package: learn to tell a vertical bar from a horizontal one.
var rng = new Random(7);
const int Count = 400;
var samples = new float[Count * 64];
var labels = new int[Count];
for (int n = 0; n < Count; n++)
{
    labels[n] = n % 2;
    int at = rng.Next(1, 7);
    for (int i = 0; i < 8; i++)
    {
        int pixel = labels[n] == 0 ? (i * 8) + at : (at * 8) + i;
        samples[(n * 64) + pixel] = 1f;
    }

    for (int p = 0; p < 64; p++)
    {
        samples[(n * 64) + p] += (float)(rng.NextDouble() * 0.2);
    }
}

var data = new Dataset(samples, labels, [1, 8, 8], classes: 2);
var (train, test) = data.Split(0.25, seed: 1);
var net = new Network(1, 8, 8)
    .Add(new Conv2D(1, 4, 3, padding: Padding.Same)).Add(new ReLU()).Add(new MaxPool2D(2))
    .Add(new Flatten()).Add(new FullyConnected(64, 2));
net.Initialize(seed: 1);
var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.1, 0.9), new TrainingOptions { Epochs = 5, BatchSize = 16, Seed = 1 });
trainer.Fit(train);
double accuracy = trainer.Evaluate(test).Accuracy;
Console.WriteLine($"ConvNet.Core package smoke test: test accuracy {accuracy:P1} on {test.Count} images");
if (accuracy < 0.95)
{
    Console.Error.WriteLine("FAILED: expected at least 95 %");
    return 1;
}

Console.WriteLine("OK");
return 0;
