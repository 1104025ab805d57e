namespace ConvNet.Training;

/// <summary>Loss, accuracy and confusion matrix of a network on a data set.</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Accuracy">Fraction of samples whose arg-max output equals the label.</param>
/// <param name="ConfusionMatrix">[true class, predicted class] counts.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int[,] ConfusionMatrix);
