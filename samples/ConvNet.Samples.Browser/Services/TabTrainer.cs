using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Data;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;

namespace ConvNet.Samples.Browser.Services;

/// <summary>
/// Trains a fresh LeNet-5 in the tab without freezing it: the library's <see cref="Trainer"/> runs a few batches per
/// <see cref="Trainer.Fit"/> call (see <see cref="PauseAfterBatches"/>), and between calls the loop awaits a short
/// delay so the browser renders the curve and handles input. One thread: parallelism 1.
/// </summary>
public sealed class TabTrainer
{
    /// <summary>Mini-batch size.</summary>
    public const int BatchSize = 32;

    /// <summary>Batches per Fit call (one curve point each).</summary>
    public const int BatchesPerStep = 2;

    /// <summary>Trains and returns the network (also when stopped early).</summary>
    /// <param name="data">The training images.</param>
    /// <param name="epochs">Epochs.</param>
    /// <param name="seed">Seed of the weights and the sample order.</param>
    /// <param name="onPoint">Called with every curve point, on the UI thread.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The trained network.</returns>
    public static async Task<Network> TrainAsync(Dataset data, int epochs, int seed, Action<TrainingPoint> onPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(onPoint);
        var network = ConvNet.Models.LeNet5.Modern(seed);
        var options = new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = BatchSize,
            Seed = seed,
            DegreeOfParallelism = 1,
            Schedule = LearningRateSchedule.Cosine(epochs),
        };
        var trainer = new Trainer(network, new SoftmaxCrossEntropy(), new Sgd(0.05, momentum: 0.9, weightDecay: 5e-4), options);
        var pause = new PauseAfterBatches();
        trainer.Callbacks.Add(pause);
        int batches = (data.Count + BatchSize - 1) / BatchSize;
        double seconds = 0;
        while (trainer.CompletedEpochs < epochs && !cancellationToken.IsCancellationRequested)
        {
            using var step = new CancellationTokenSource();
            pause.Arm(step, BatchesPerStep);
            TrainingProgress? last = null;
            var clock = Stopwatch.StartNew();
            trainer.Fit(data, progress: new SynchronousProgress<TrainingProgress>(p => last = p), cancellationToken: step.Token);
            seconds += clock.Elapsed.TotalSeconds;
            int after = (trainer.CompletedEpochs * batches) + trainer.CompletedBatches;
            long images = ((long)trainer.CompletedEpochs * data.Count) + Math.Min((long)trainer.CompletedBatches * BatchSize, data.Count);
            if (last is TrainingProgress p)
            {
                onPoint(new TrainingPoint((double)after / batches, p.Loss, p.Accuracy, images / Math.Max(seconds, 1e-9), images));
            }

            await Task.Delay(1, CancellationToken.None);
        }

        return network;
    }
}
