namespace ConvNet.Training;

/// <summary>Saves the network (and optimizer state) after every epoch, atomically, to one path.</summary>
/// <param name="path">The checkpoint file; replaced atomically each epoch.</param>
public sealed class ModelCheckpoint(string path) : TrainingCallback
{
    /// <summary>The checkpoint file.</summary>
    public string Path { get; } = path ?? throw new System.ArgumentNullException(nameof(path));

    /// <inheritdoc />
    public override void OnEpochEnd(EpochContext context)
    {
        ThrowHelper.NotNull(context, nameof(context));
        context.Trainer.SaveCheckpoint(Path);
    }
}
