using System.Collections.Generic;
using System.IO;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Synchronous progress: every report has arrived, in order, when Fit returns; the console reporter prints one line per epoch.</summary>
public class ProgressReporterTests
{
    [Fact]
    public void Every_report_has_arrived_in_order_when_Fit_returns()
    {
        var reports = new List<TrainingProgress>();
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.1), new TrainingOptions { Epochs = 3, BatchSize = 4 });
        trainer.Fit(Tiny.Data(20), progress: new SynchronousProgress<TrainingProgress>(reports.Add));
        reports.Should().HaveCount(15);
        reports[^1].Should().Match<TrainingProgress>(p => p.Epoch == 3 && p.Batch == 5 && p.Batches == 5);
        for (int i = 0; i < reports.Count; i++)
        {
            (reports[i].Epoch, reports[i].Batch).Should().Be(((i / 5) + 1, (i % 5) + 1));
        }
    }

    [Fact]
    public void The_console_reporter_writes_one_finished_line_per_epoch_to_a_writer()
    {
        var text = new StringWriter();
        var trainer = new Trainer(Tiny.Net(), new SoftmaxCrossEntropy(), new Sgd(0.1), new TrainingOptions { Epochs = 2, BatchSize = 4 });
        trainer.Fit(Tiny.Data(20), progress: new ConsoleProgress(text));
        var lines = text.ToString().TrimEnd().Split('\n');
        lines.Should().HaveCount(2);
        lines[0].Should().StartWith("epoch 1/2  batch 5/5  loss ").And.Contain("accuracy");
        lines[1].Should().StartWith("epoch 2/2  batch 5/5");
    }
}
