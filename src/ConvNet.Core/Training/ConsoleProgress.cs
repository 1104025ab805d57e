using System;
using System.Globalization;
using System.IO;

namespace ConvNet.Training;

/// <summary>
/// A ready progress reporter in the manner of Keras' <c>fit</c>: one line per epoch, rewritten in place while the
/// epoch runs ("epoch 3/10  batch 120/938  loss 0.4123  accuracy 85.21 %") and finished when the epoch's last batch is
/// reported. Synchronous: every line is written before <see cref="Trainer.Fit"/> returns. Writes to
/// <see cref="Console.Out"/> unless given another writer; with a writer that is not a console, it writes only the
/// finished line of each epoch.
/// </summary>
public sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter _writer;
    private readonly bool _inPlace;
    private readonly int _every;

    /// <summary>Creates the reporter.</summary>
    /// <param name="writer">Where to write (default <see cref="Console.Out"/>).</param>
    /// <param name="everyBatches">Rewrite the running line every this many batches (≥ 1, default 10).</param>
    public ConsoleProgress(TextWriter? writer = null, int everyBatches = 10)
    {
        ThrowHelper.Positive(everyBatches, nameof(everyBatches));
        _writer = writer ?? Console.Out;
        _inPlace = writer is null && !Console.IsOutputRedirected;
        _every = everyBatches;
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        bool last = value.Batch == value.Batches;
        if (!last && !(_inPlace && value.Batch % _every == 0))
        {
            return;
        }

        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {value.Epoch}/{value.Epochs}  batch {value.Batch}/{value.Batches}  loss {value.Loss:F4}  accuracy {value.Accuracy * 100:F2} %");
        if (_inPlace)
        {
            _writer.Write('\r');
            _writer.Write(line);
            if (last)
            {
                _writer.WriteLine();
            }
        }
        else
        {
            _writer.WriteLine(line);
        }
    }
}
