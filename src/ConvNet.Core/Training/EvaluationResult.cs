namespace ConvNet.Training;

/// <summary>Loss, accuracy and confusion matrix of a network on a data set.</summary>
/// <param name="Loss">Mean loss (NaN or ∞ when some output is: as Keras reports it).</param>
/// <param name="Accuracy">Fraction of all samples whose arg-max output equals the label; a sample whose output holds
/// NaN or ∞ has no prediction and counts as wrong. NaN for regression data (float targets).</param>
/// <param name="ConfusionMatrix">[true class, predicted class] counts of the samples with finite outputs; null for
/// regression data.</param>
/// <param name="NonFiniteOutputs">Samples whose output holds NaN or ∞ (not in the confusion matrix).</param>
public sealed record EvaluationResult(double Loss, double Accuracy, ConfusionMatrix? ConfusionMatrix, int NonFiniteOutputs = 0);
