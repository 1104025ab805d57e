namespace ConvNet.Samples.Browser.Services;

/// <summary>One point of the live curve: the mean over the batches trained since the previous point.</summary>
/// <param name="Epoch">Fractional epochs done (1.5 = half-way through the second epoch).</param>
/// <param name="Loss">Mean training loss of those batches.</param>
/// <param name="Accuracy">Training accuracy of those batches.</param>
/// <param name="ImagesPerSecond">Images trained per second of compute so far in this run.</param>
/// <param name="Images">Images trained so far in this run.</param>
public readonly record struct TrainingPoint(double Epoch, double Loss, double Accuracy, double ImagesPerSecond, long Images);
