using System.Threading;
using ConvNet.Training;

namespace ConvNet.Samples.Browser.Services;

/// <summary>
/// Ends a <see cref="Trainer.Fit"/> after a few batches (or at the end of an epoch) by cancelling its token, so the
/// browser's one thread can render between calls. The next Fit resumes at the next batch (the trainer's
/// CompletedEpochs/CompletedBatches), with the same sample order as one uninterrupted run.
/// </summary>
internal sealed class PauseAfterBatches : TrainingCallback
{
    private CancellationTokenSource? _pause;
    private int _left;

    /// <summary>Arms the pause for the next Fit call.</summary>
    /// <param name="pause">Cancelled after <paramref name="batches"/> batches.</param>
    /// <param name="batches">Batches to run.</param>
    public void Arm(CancellationTokenSource pause, int batches)
    {
        _pause = pause;
        _left = batches;
    }

    public override void OnBatchEnd(Trainer trainer)
    {
        if (--_left <= 0)
        {
            _pause?.Cancel();
        }
    }

    public override void OnEpochEnd(EpochContext context) => _pause?.Cancel();
}
