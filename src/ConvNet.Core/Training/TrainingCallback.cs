namespace ConvNet.Training;

/// <summary>Hooks called by <see cref="Trainer.Fit"/>; derive and override what you need.</summary>
public abstract class TrainingCallback
{
    /// <summary>Called after every epoch; set <see cref="EpochContext.StopTraining"/> to end training.</summary>
    /// <param name="context">The trainer, the epoch's metrics and the stop flag.</param>
    public virtual void OnEpochEnd(EpochContext context)
    {
    }

    /// <summary>Called after every batch (after the optimizer step); <see cref="Trainer.CompletedBatches"/> is current.</summary>
    /// <param name="trainer">The trainer.</param>
    public virtual void OnBatchEnd(Trainer trainer)
    {
    }
}
