using System;

namespace ConvNet.Training;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler on the reporting thread, before <c>Report</c> returns. Unlike
/// <see cref="Progress{T}"/>, which posts to a synchronization context or the thread pool, no report can arrive after
/// <see cref="Trainer.Fit"/> has returned, and reports arrive in order. The handler runs inside the training loop: keep
/// it short.
/// </summary>
/// <typeparam name="T">The report type, e.g. <see cref="TrainingProgress"/>.</typeparam>
/// <param name="handler">Called with every report.</param>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Action<T> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <inheritdoc />
    public void Report(T value) => _handler(value);
}
