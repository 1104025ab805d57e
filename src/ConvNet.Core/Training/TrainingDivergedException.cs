using System;

namespace ConvNet.Training;

/// <summary>
/// Thrown when the loss, a gradient or (after an optimizer step) a weight becomes NaN or ∞ during training, or when
/// <see cref="DivergencePolicy.SkipBatch"/> has skipped <see cref="TrainingOptions.MaxConsecutiveSkippedBatches"/>
/// batches in a row. The message names the epoch, the batch and the first bad layer by its index path and type.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with its details.</summary>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="batch">1-based batch within the epoch.</param>
    /// <param name="loss">The batch loss.</param>
    /// <param name="layer">The first layer whose gradient is not finite, or null if only the loss is.</param>
    public TrainingDivergedException(int epoch, int batch, float loss, string? layer)
        : base($"Training diverged at epoch {epoch}, batch {batch}: loss = {loss}" +
               (layer is null ? "." : $"; the first layer with a non-finite gradient is '{layer}'.") +
               " Lower the learning rate or enable gradient clipping.")
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        Layer = layer;
    }

    /// <summary>Creates the exception with a composed message and the bad layer's location.</summary>
    internal TrainingDivergedException(string message, int epoch, int batch, float loss, LayerLocation? layer)
        : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        Layer = layer?.Layer.Name;
        LayerPath = layer?.Path;
        LayerType = layer?.Layer.TypeName;
    }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The batch loss.</summary>
    public float Loss { get; }

    /// <summary>The name of the first layer with a non-finite gradient (or weight), if any.</summary>
    public string? Layer { get; }

    /// <summary>
    /// Where that layer is: its index in <see cref="Network.Layers"/>, then the child keys inside containers, dotted as in
    /// the parameter names (e.g. "3", or "2.body.0" for <c>layers.2.body.0.weight</c>); null if no layer was named.
    /// </summary>
    public string? LayerPath { get; }

    /// <summary>That layer's type name (e.g. "Conv2D"), if any.</summary>
    public string? LayerType { get; }
}
