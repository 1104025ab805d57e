using System;

namespace ConvNet.Training;

/// <summary>Thrown when the loss or a gradient becomes NaN or ∞ during training.</summary>
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

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The batch loss.</summary>
    public float Loss { get; }

    /// <summary>The first layer with a non-finite gradient, if any.</summary>
    public string? Layer { get; }
}
