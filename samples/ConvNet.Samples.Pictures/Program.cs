using System;
using System.IO;
using System.Linq;
using ConvNet;
using ConvNet.Data;
using ConvNet.Layers;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using ConvNet.Training;

// Trains the modern LeNet-5 on the shipped Fashion-MNIST subset and draws what a user wants to look at:
// training curves, the learned first-layer filters with their feature maps, and the confusion matrix.
string outDir = args.Length > 0 ? args[0] : "docs/images";
int epochs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 6;
Directory.CreateDirectory(outDir);
var (train, test) = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data"));
var net = LeNet5.Modern(seed: 1);
var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9, 5e-4),
    new TrainingOptions { Epochs = epochs, BatchSize = 64, Seed = 1, Schedule = LearningRateSchedule.Cosine(epochs) });
var history = trainer.Fit(train, test);
var eval = trainer.Evaluate(test);
Console.WriteLine($"Trained {epochs} epochs: test accuracy {eval.Accuracy:P2}");

// 1. Training curves.
double[] xs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
var loss = new ScottPlot.Plot();
loss.Add.Scatter(xs, history.Epochs.Select(e => e.TrainLoss).ToArray()).LegendText = "train";
loss.Add.Scatter(xs, history.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToArray()).LegendText = "test";
loss.Title("LeNet-5 on Fashion-MNIST (shipped subset): cross-entropy loss");
loss.XLabel("epoch");
loss.YLabel("loss");
loss.ShowLegend(ScottPlot.Alignment.UpperRight);
loss.SavePng(Path.Combine(outDir, "training-loss.png"), 700, 420);
var acc = new ScottPlot.Plot();
acc.Add.Scatter(xs, history.Epochs.Select(e => 100 * e.TrainAccuracy).ToArray()).LegendText = "train";
acc.Add.Scatter(xs, history.Epochs.Select(e => 100 * (e.ValidationAccuracy ?? double.NaN)).ToArray()).LegendText = "test";
acc.Title("LeNet-5 on Fashion-MNIST (shipped subset): accuracy");
acc.XLabel("epoch");
acc.YLabel("accuracy (%)");
acc.ShowLegend(ScottPlot.Alignment.LowerRight);
acc.SavePng(Path.Combine(outDir, "training-accuracy.png"), 700, 420);

// 2. First-layer filters and their feature maps for one test image (the lecture's "feature map" slide).
const int Sample = 0;
var conv = (Conv2D)net.Layers[0];
var x = Tensor.FromData(test.Sample(Sample), 1, 1, 28, 28);
var maps = conv.Forward(x);
const int Tile = 28, Gap = 4, Scale = 5;
int filters = conv.OutChannels;
var grid = new double[(filters * (Tile + Gap)) + Tile + Gap, (3 * (Tile + Gap)) - Gap];
for (int r = 0; r < grid.GetLength(0); r++)
{
    for (int c = 0; c < grid.GetLength(1); c++)
    {
        grid[r, c] = double.NaN;
    }
}

PlaceTile(grid, 0, Tile + Gap, Normalize(test.Sample(Sample).ToArray()), 28, 28, 1);
for (int f = 0; f < filters; f++)
{
    int top = (f + 1) * (Tile + Gap);
    PlaceTile(grid, top, 0, Normalize(conv.Weight.Value.AsSpan().Slice(f * 25, 25).ToArray()), 5, 5, Scale);
    PlaceTile(grid, top, 2 * (Tile + Gap), Normalize(maps.AsSpan().Slice(f * 784, 784).ToArray()), 28, 28, 1);
}

var fm = new ScottPlot.Plot();
var heat = fm.Add.Heatmap(grid);
heat.Colormap = new ScottPlot.Colormaps.Grayscale();
fm.HideGrid();
fm.Axes.SquareUnits();
fm.Axes.Left.IsVisible = false;
fm.Axes.Bottom.IsVisible = false;
fm.Title($"C1 of LeNet-5 on test image {Sample} ({FashionMnist.ClassNames[test.Labels[Sample]]}):\ninput (top), 6 learned 5x5 filters (left),\ntheir feature maps (right)");
fm.SavePng(Path.Combine(outDir, "filters-and-feature-maps.png"), 420, 1000);

// 3. Confusion matrix.
int k = test.Classes;
var cm = new double[k, k];
for (int t = 0; t < k; t++)
{
    for (int p = 0; p < k; p++)
    {
        cm[t, p] = eval.ConfusionMatrix![t, p];
    }
}

var cmPlot = new ScottPlot.Plot();
var cmHeat = cmPlot.Add.Heatmap(cm);
cmHeat.Colormap = new ScottPlot.Colormaps.Viridis();
cmPlot.Add.ColorBar(cmHeat);
for (int t = 0; t < k; t++)
{
    for (int p = 0; p < k; p++)
    {
        var label = cmPlot.Add.Text(eval.ConfusionMatrix![t, p].ToString(System.Globalization.CultureInfo.InvariantCulture), p, k - 1 - t);
        label.LabelFontColor = cm[t, p] > cm.Cast<double>().Max() / 2 ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
        label.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
    }
}

double[] ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
cmPlot.Axes.Bottom.SetTicks(ticks, FashionMnist.ClassNames);
cmPlot.Axes.Bottom.TickLabelStyle.Rotation = 45;
cmPlot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
cmPlot.Axes.Bottom.MinimumSize = 120;
cmPlot.Axes.Left.SetTicks(ticks.Select(v => k - 1 - v).ToArray(), FashionMnist.ClassNames);
cmPlot.Title($"Confusion matrix, {test.Count:N0} test images (accuracy {eval.Accuracy:P1})");
cmPlot.XLabel("predicted");
cmPlot.YLabel("true");
cmPlot.SavePng(Path.Combine(outDir, "confusion-matrix.png"), 760, 700);
Console.WriteLine($"Wrote training-loss.png, training-accuracy.png, filters-and-feature-maps.png, confusion-matrix.png to {outDir}");

static double[] Normalize(float[] v)
{
    float min = v.Min(), max = v.Max();
    return v.Select(x => (double)((x - min) / Math.Max(max - min, 1e-6f))).ToArray();
}

static void PlaceTile(double[,] grid, int top, int left, double[] values, int h, int w, int scale)
{
    for (int r = 0; r < h * scale; r++)
    {
        for (int c = 0; c < w * scale; c++)
        {
            grid[top + r, left + c] = values[((r / scale) * w) + (c / scale)];
        }
    }
}
